"""What ODK Collect may download: the forms it may fill, their XForms and media files.

Media files are the files a form version names (``FormVersion.media_files``).
A file named after a declared dataset (``persons.csv``) is an entity list,
built for the caller by the registry (``entity_list_csv``); other media have
no store yet and are left out of the manifest rather than listed with a
download link that would fail.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.errors import NotFoundError, PermissionDeniedError
from server.forms import service as forms
from server.forms.models import FormVersion, VersionState
from server.registry import declarations
from server.registry.service import entity_list_csv

log = logging.getLogger(__name__)

# Roles that fill forms in Collect; department accounts only read the registry.
FILLERS = frozenset({Role.ADMIN.value, Role.FORM_DESIGNER.value, Role.SUPERVISOR.value, Role.GRID_WORKER.value})
ENTITY_LIST_TYPE = "entityList"


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file Collect downloads with a form."""

    filename: str
    content: bytes
    content_type: str
    type: str | None = None

    @property
    def md5(self) -> str:
        """The hash Collect compares with its copy."""
        return hashlib.md5(self.content, usedforsecurity=False).hexdigest()


def may_fill(user: User) -> bool:
    """True if the user's role fills forms."""
    return user.role in FILLERS


def require_filler(user: User) -> User:
    """The user, if their role fills forms; 403 otherwise."""
    if not may_fill(user):
        raise PermissionDeniedError("Your role does not fill forms", code="openrosa.not_a_filler",
                                    message_zh="该账户角色不填报表单")
    return user


def fillable_versions(session: Session, user: User, form_id: str | None = None) -> list[FormVersion]:
    """The published version of every form the caller may fill (or of one form)."""
    if not may_fill(user):
        return []
    versions = [f.current_version for f in forms.list_forms(session, user)
                if f.current_version is not None and (form_id is None or f.form_id == form_id)]
    return [v for v in versions if v is not None]


def form_version(session: Session, user: User, form_id: str, version: str | None = None) -> FormVersion:
    """The published version of a form, or the named (published or retired) version."""
    require_filler(user)
    if version is None:
        return forms.current_version(session, form_id)
    found = forms.get_version(session, user, form_id, version)
    if found.state == VersionState.DRAFT:
        raise NotFoundError(f"no version {version} of {form_id}", code="form.version_not_found",
                            message_zh="表单版本不存在")
    return found


def media_files(session: Session, user: User, version: FormVersion) -> list[MediaFile]:
    """The media files of a form version that can be served."""
    files = []
    for filename in version.media_files or []:
        media = _media_file(session, user, filename)
        if media is None:
            log.warning("form %s version %s names media file %s that gridreg cannot serve",
                        version.form_id, version.version, filename)
            continue
        files.append(media)
    return files


def media_file(session: Session, user: User, version: FormVersion, filename: str) -> MediaFile:
    """One media file of a form version, or 404."""
    media = _media_file(session, user, filename) if filename in (version.media_files or []) else None
    if media is None:
        raise NotFoundError(f"form {version.form_id} has no media file {filename}",
                            code="openrosa.media_not_found", message_zh="表单没有该媒体文件")
    return media


def _media_file(session: Session, user: User, filename: str) -> MediaFile | None:
    stem, _, extension = filename.rpartition(".")
    if extension.lower() == "csv" and stem in declarations.catalog(session):
        return MediaFile(filename, entity_list_csv(session, user, stem), "text/csv; charset=utf-8",
                         ENTITY_LIST_TYPE)
    return None
