"""Requesting, watching and downloading exports.

``request_export`` checks the request (unknown source, name, format or
option: 422 with a stable code; a form or dataset outside the caller's scope
or purpose: 404, audited by the scope helper), writes the row as ``queued``
and rings the exports queue after commit. Only the export's owner sees it
(anyone else's id answers 404). A finished export is downloaded through a
signed link that works for ``export_link_ttl_seconds`` (then 410) and never
past the file's own expiry; ``clean_expired`` deletes files past
``export_retention_hours``. Time is passed in, never read here.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.service import record
from server.errors import AppError, NotFoundError
from server.exports import datasets, submissions
from server.exports.models import Export, ExportStatus
from server.settings import Settings

SOURCES = {"dataset": datasets, "form": submissions}
FORMATS = ("csv", "xlsx", "geojson")
# Options and the values each may take (True/False for flags).
OPTIONS: dict[str, tuple[object, ...]] = {
    "shape": ("odk", "kobo"),
    "headers": ("path", "labels"),
    "values": ("codes", "labels"),
    "split_select_multiple": (True, False),
}


class UnknownExportError(AppError):
    """A source, name, format or option this service does not know."""

    status = 422
    message_zh = "导出参数无效"

    def __init__(self, what: str, message: str, message_zh: str) -> None:
        super().__init__(message, code=f"export.unknown_{what}", message_zh=message_zh, errors={what: [message]})


class ExportLinkExpiredError(AppError):
    """A download link past its time, or a file already cleaned away."""

    status = 410
    code = "export.link_expired"
    message_zh = "下载链接已过期"


def _not_found(export_id: object) -> NotFoundError:
    return NotFoundError(f"no export {export_id}", code="export.not_found", message_zh="导出不存在")


@dataclass(frozen=True)
class ExportRequest:
    """What a caller asked to export."""

    source: str
    name: str
    format: str
    options: dict[str, Any]


def check_request(session: Session, user: User, req: ExportRequest) -> None:
    """422 for what is unknown, 404 (audited) for what lies outside the caller's scope or purpose."""
    if req.source not in SOURCES:
        raise UnknownExportError("source", f"source must be one of {', '.join(SOURCES)}", "导出来源无效")
    if req.format not in FORMATS:
        raise UnknownExportError("format", f"format must be one of {', '.join(FORMATS)}", "导出格式无效")
    for key, value in req.options.items():
        if key not in OPTIONS or value not in OPTIONS[key]:
            raise UnknownExportError("option", f"option {key}={value!r} is not one of {OPTIONS.get(key, ())}",
                                     "导出选项无效")
    SOURCES[req.source].check(session, user, req.name, req.format)


def request_export(session: Session, settings: Settings, user: User, req: ExportRequest, now: datetime) -> Export:
    """Queue an export for the caller; the job runs once the request commits."""
    check_request(session, user, req)
    row = Export(id=str(uuid.uuid4()), user_id=user.id, source=req.source, name=req.name, format=req.format,
                 options=dict(req.options), status=ExportStatus.QUEUED.value, done=0, created_at=now)
    session.add(row)
    session.flush()
    record(session, user.id, "export.requested", target_type="export", target_id=row.id,
           detail={"source": req.source, "name": req.name, "format": req.format, "options": row.options})
    from server import pipeline  # the job wiring sits above the contexts (exports.jobs imports this module)

    pipeline.ring(session, settings, pipeline.RUN_EXPORT, row.id)
    return row


def get_export(session: Session, user: User, export_id: str) -> Export:
    """The caller's own export, or 404 (someone else's answers as missing)."""
    row = session.scalar(select(Export).where(Export.id == export_id, Export.user_id == user.id))
    if row is None:
        raise _not_found(export_id)
    return row


# --------------------------------------------------------------------------- signed links


def _signature(settings: Settings, export_id: str, expires: int) -> str:
    message = f"export:{export_id}:{expires}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def download_url(settings: Settings, row: Export, now: datetime) -> str | None:
    """A signed link to the file, good for the link TTL and never past the file's expiry; None until done."""
    if row.status != ExportStatus.DONE.value or row.expires_at is None:
        return None
    until = min(now + timedelta(seconds=settings.export_link_ttl_seconds), row.expires_at)
    expires = int(until.timestamp())
    return f"/api/v1/exports/{row.id}/download?expires={expires}&signature={_signature(settings, row.id, expires)}"


def view(settings: Settings, row: Export, now: datetime) -> dict[str, Any]:
    """An export as the API shows it."""
    return {"id": row.id, "status": row.status, "done": row.done, "total": row.total,
            "source": row.source, "name": row.name, "format": row.format, "error": row.error,
            "created_at": row.created_at, "finished_at": row.finished_at, "expires_at": row.expires_at,
            "download_url": download_url(settings, row, now)}


@dataclass(frozen=True)
class Download:
    """A file to send."""

    path: Path
    file_name: str
    content_type: str


def file_path(settings: Settings, row: Export) -> Path:
    """Where an export's file lies."""
    return settings.export_root / f"{row.id}.{(row.file_name or 'x.bin').rsplit('.', 1)[-1]}"


def open_download(session: Session, settings: Settings, user: User, export_id: str, expires: str | None,
                  signature: str | None, now: datetime) -> Download:
    """The file behind a signed link, for the user who asked for it: 404 for a bad signature or anyone else's
    export, 410 past its time or once cleaned. A link that leaks (logs, a shared screen) opens nothing alone."""
    try:
        stamp = int(expires or "")
    except ValueError:
        raise _not_found(export_id) from None
    if not signature or not hmac.compare_digest(signature, _signature(settings, export_id, stamp)):
        raise _not_found(export_id)
    row = session.get(Export, export_id)
    if row is None or row.user_id != user.id:
        raise _not_found(export_id)
    path = file_path(settings, row)
    if now.timestamp() > stamp or row.status != ExportStatus.DONE.value or not path.exists():
        raise ExportLinkExpiredError(f"the link to export {export_id} has expired")
    record(session, row.user_id, "export.downloaded", target_type="export", target_id=row.id)
    return Download(path, row.file_name or path.name, row.content_type or "application/octet-stream")


def clean_expired(session: Session, settings: Settings, now: datetime) -> int:
    """Delete the files of exports past their expiry; how many were cleaned."""
    rows = list(session.scalars(select(Export).where(Export.status == ExportStatus.DONE.value,
                                                     Export.expires_at < now)))
    for row in rows:
        file_path(settings, row).unlink(missing_ok=True)
        row.status = ExportStatus.EXPIRED.value
    return len(rows)
