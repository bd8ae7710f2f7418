"""Forms and their versions: the uploaded workbook, compiled JSON and XForm."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, bindparam, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.db import Base, JsonType, UtcDateTime
from server.lru import Lru


class VersionState(StrEnum):
    """A version is a draft until published; publishing a newer one retires it."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class Form(Base):
    """A form, identified by the XForm id that its workbook's settings give."""

    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_versions.id", use_alter=True, name="fk_forms_current_version_id_form_versions"))

    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="form", foreign_keys="FormVersion.form_pk", order_by="FormVersion.id")
    current_version: Mapped[FormVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)

    @property
    def draft(self) -> FormVersion | None:
        """The version waiting to be published, if any."""
        return next((v for v in self.versions if v.state == VersionState.DRAFT), None)


class FormVersion(Base):
    """One compiled version of a form."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_pk", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    # The compiled JSON, XForm and workbook are large (a registration form is
    # about 1 MB together): deferred, so listing or resolving a version loads none
    # of them, and the definition is decoded once per process (``definition``).
    definition_json: Mapped[dict[str, Any]] = mapped_column("definition", JsonType, deferred=True)
    xform_xml: Mapped[str] = mapped_column(Text, deferred=True)
    xform_md5: Mapped[str] = mapped_column(String(32))
    workbook: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    workbook_name: Mapped[str] = mapped_column(String(255))
    workbook_sha256: Mapped[str] = mapped_column(String(64))
    media_files: Mapped[list[str]] = mapped_column(JsonType, default=list)
    dataset: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    form: Mapped[Form] = relationship(back_populates="versions", foreign_keys=[form_pk])

    @property
    def form_id(self) -> str:
        """The form's XForm id."""
        return self.form.form_id

    @property
    def definition(self) -> Mapping[str, Any]:
        """The compiled form, decoded once per process; treat it as read-only."""
        if self.id is None:
            return self.definition_json
        return _cached_definition((self.id, self.workbook_sha256), lambda: self.definition_json)

    @definition.setter
    def definition(self, value: Mapping[str, Any]) -> None:
        self.definition_json = dict(value)


class DefinitionCache:
    """Compiled definitions by key (server/lru.py), least recently used dropped first.

    Loading runs outside the map's lock, so a database read never holds up other
    threads' hits; two threads loading one key at once store equal, read-only values.
    """

    def __init__(self, max_entries: int) -> None:
        self._entries: Lru[Hashable, Mapping[str, Any]] = Lru(max_entries)

    def get_or_load(self, key: Hashable, load: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
        """The cached value of ``key``, or ``load()``'s, remembered as the most recently used."""
        found = self._entries.get(key)
        if found is not None:
            return found
        loaded = load()
        self._entries.put(key, loaded)
        return loaded

    def __len__(self) -> int:
        return len(self._entries)


# Versions never change once stored (a new upload is a new row with its own
# workbook hash), so (id, workbook_sha256) names one definition for good.
_DEFINITION_CACHE_SIZE = 64
_DEFINITIONS = DefinitionCache(_DEFINITION_CACHE_SIZE)


def _cached_definition(key: tuple[int, str], load: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    return _DEFINITIONS.get_or_load(key, load)


_SHA_BY_ID = select(FormVersion.workbook_sha256).where(FormVersion.id == bindparam("id"))
_DEFINITION_BY_ID = select(FormVersion.definition_json).where(FormVersion.id == bindparam("id"))


def definition_by_id(session: Session, version_id: int) -> Mapping[str, Any]:
    """A version's compiled form by id, for jobs that hold only the id: one small query when cached."""
    sha = session.execute(_SHA_BY_ID, {"id": version_id}).scalar_one()
    return _cached_definition(
        (version_id, sha), lambda: session.execute(_DEFINITION_BY_ID, {"id": version_id}).scalar_one())
