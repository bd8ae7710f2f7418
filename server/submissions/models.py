"""Submissions and their attachments.

A submission row is written once at intake and never changed in place: only
``status`` (with ``errors``/``validated_at`` set by the validation job) and
``flags`` change later. An edit is a new row whose ``deprecated_id`` names the
version it replaces; all versions share ``root_id``, the first instance id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.db import Base, JsonType, UtcDateTime
from server.forms.models import FormVersion
from server.geo.models import SRID, AdminUnit


class SubmissionStatus(StrEnum):
    """received → validated | invalid; the registry later moves validated ones to merged | rejected."""

    RECEIVED = "received"
    VALIDATED = "validated"
    INVALID = "invalid"
    MERGED = "merged"
    REJECTED = "rejected"


class Flag(StrEnum):
    """Things a supervisor should look at; a flag never refuses a submission."""

    OUTSIDE_SCOPE = "outside_scope"
    LOW_ACCURACY = "low_accuracy"
    NO_LOCATION = "no_location"


class Submission(Base):
    """One version of one filled form, as received."""

    __tablename__ = "submissions"
    __allow_unmapped__ = True

    # Not stored: the data as one caller may see it (set when a detail is read; see privacy.py).
    shown_data: dict[str, Any] | None = None

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    root_id: Mapped[str] = mapped_column(String(64), index=True)
    deprecated_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    raw_format: Mapped[str] = mapped_column(String(8))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(Integer)
    # sha256 of the raw XML, or of canonical JSON of form_version + data: what "identical" means.
    content_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    device_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    location: Mapped[Any] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=True)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(String(512), index=True)
    # The grid the point lies in, when that is not where the submission is filed (made outside the
    # submitter's scope): that area sees it too, as it holds the registry records it touched.
    located_path: Mapped[str | None] = mapped_column(String(512), index=True)
    flags: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # ",outside_scope,low_accuracy,": the flag names, so both databases filter with one LIKE.
    flag_names: Mapped[str] = mapped_column(String(256))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attachments: Mapped[list[SubmissionAttachment]] = relationship(
        back_populates="submission", order_by="SubmissionAttachment.id", lazy="selectin")
    # Loaded on access, not joined: the jobs lock the row with SELECT ... FOR UPDATE.
    form_version: Mapped[FormVersion] = relationship()
    submitter: Mapped[User] = relationship()
    unit: Mapped[AdminUnit | None] = relationship()

    def set_flag(self, name: str, detail: dict[str, Any] | None = None) -> None:
        """Raise a flag (flags and status are the only things that change on a submission)."""
        self.flags = {**(self.flags or {}), name: detail or {}}
        self.flag_names = flag_names(self.flags)

    def clear_flag(self, name: str) -> None:
        """Lower a flag."""
        self.flags = {k: v for k, v in (self.flags or {}).items() if k != name}
        self.flag_names = flag_names(self.flags)


# A row exists only inside a key-rotation transaction: while it does, the immutability trigger lets the
# sealed columns (data, raw_sha256, raw_size) take new ciphertext (migration 0006, submissions/rekey.py).
submission_reseals = Table("submission_reseals", Base.metadata, Column("id", Integer, primary_key=True))


def flag_names(flags: dict[str, Any]) -> str:
    """The searchable form of a flags mapping."""
    return "," + "".join(f"{name}," for name in sorted(flags)) if flags else ""


class SubmissionAttachment(Base):
    """A file the submission's data refers to; ``sha256`` is None until it has been received."""

    __tablename__ = "submission_attachments"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # image | file | audio | video
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # EXIF facts kept as metadata (the derivatives are stripped of EXIF).
    taken_at: Mapped[str | None] = mapped_column(String(32))
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    exif: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    derivatives: Mapped[str] = mapped_column(String(16))  # none | pending | ready | failed
    display_sha256: Mapped[str | None] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))

    submission: Mapped[Submission] = relationship(back_populates="attachments")

    @property
    def received(self) -> bool:
        """True once the file's bytes are stored."""
        return self.sha256 is not None
