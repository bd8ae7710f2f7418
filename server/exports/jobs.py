"""The export job: count, then write page by page with progress, then publish the file and audit it.

Each page of rows is read in its own short transaction (keyset on id), and
the page's progress is written in that same transaction. No transaction
stays open for the length of an export: SQLite takes its write lock at BEGIN,
and a long one would stall every writer; on PostgreSQL a long snapshot holds
back vacuum. Rows go straight to a temporary file beside the final one, so
memory stays flat whatever the size. A failure marks the row ``failed`` with
its reason (the row is the truth; running again starts over only from
``queued`` or ``running``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server import worker
from server.accounts.models import User
from server.audit.service import record
from server.exports.datasets import DatasetExport
from server.exports.files import Output, open_output
from server.exports.models import Export, ExportStatus
from server.exports.service import SOURCES, clean_expired
from server.exports.submissions import FormExport
from server.queue import enqueue_now, job_path
from server.sealing.crypto import Sealer
from server.settings import Settings

log = logging.getLogger(__name__)

PAGE = 5000


def _utc_now() -> datetime:
    return datetime.now(UTC)


clock: Callable[[], datetime] = _utc_now  # the job edge's clock (tests set their own)


def _start(export_id: str) -> dict[str, Any] | None:
    with worker.job_session() as session:
        row = session.get(Export, export_id)
        if row is None or row.status not in (ExportStatus.QUEUED.value, ExportStatus.RUNNING.value):
            return None
        user = session.get(User, row.user_id)
        assert user is not None
        total = SOURCES[row.source].count(session, user, row.name, row.format)
        row.status, row.total, row.done, row.error = ExportStatus.RUNNING.value, total, 0, None
        return {"user_id": row.user_id, "source": row.source, "name": row.name, "format": row.format,
                "options": dict(row.options or {}), "total": total}


def run_export(export_id: str, on_progress: Callable[[int, int], None] | None = None) -> None:
    """Write one export's file (the exports queue's job); ``on_progress(done, total)`` after each page."""
    job = _start(export_id)
    if job is None:
        return
    settings = worker.settings()
    root = settings.export_root
    root.mkdir(parents=True, exist_ok=True)
    part = root / f"{export_id}.part"
    output: Output | None = None
    try:
        output = open_output(job["format"], part, job["name"])
        kind = DatasetExport if job["source"] == "dataset" else FormExport
        exporter = kind(job["name"], job["format"], job["options"], output, Sealer.from_settings(settings))
        after, done = 0, 0
        while True:
            with worker.job_session() as session:
                user = session.get(User, job["user_id"])
                assert user is not None
                limit = PAGE * exporter.page_factor
                after, written = exporter.page(session, user, after, limit)
                done += written
                session.execute(update(Export).where(Export.id == export_id).values(done=done))
            if on_progress is not None:
                on_progress(done, job["total"])
            if written < limit:
                break
        ext, content_type = output.close()
        part.replace(root / f"{export_id}.{ext}")
        now = clock()
        with worker.job_session() as session:
            row = session.get(Export, export_id)
            assert row is not None
            row.status, row.done, row.total = ExportStatus.DONE.value, done, max(done, job["total"])
            row.file_name, row.content_type = f"{job['name']}.{ext}", content_type
            row.finished_at, row.expires_at = now, now + timedelta(hours=settings.export_retention_hours)
            record(session, job["user_id"], "export.done", target_type="export", target_id=export_id,
                   detail={"rows": done, "source": job["source"], "name": job["name"], "format": job["format"],
                           **exporter.audit_detail()})
    except Exception as exc:  # noqa: BLE001 - the job edge: the row records why
        log.exception("export failed", extra={"export": export_id})
        if output is not None:
            output.discard()
        part.unlink(missing_ok=True)
        with worker.job_session() as session:
            session.execute(update(Export).where(Export.id == export_id).values(
                status=ExportStatus.FAILED.value, error=f"{type(exc).__name__}: {exc}"[:500], finished_at=clock()))


def find_stuck(session: Session, settings: Settings, older_than_seconds: int) -> int:
    """Ring again for exports queued or running too long; also clean files past their expiry."""
    now = clock()
    clean_expired(session, settings, now)
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(session.scalars(select(Export.id).where(
        Export.status.in_([ExportStatus.QUEUED.value, ExportStatus.RUNNING.value]), Export.created_at < cutoff)))
    for export_id in ids:
        enqueue_now(settings, "exports", job_path(run_export), export_id)
    return len(ids)
