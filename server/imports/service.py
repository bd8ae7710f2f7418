"""Bulk imports: accept a file for a dataset, and read an import's progress and report.

``create_import`` does everything that can refuse the file as a whole before
any row is touched — who may import, the size limit, what the file really is,
its encoding, its columns against the mapping — then keeps the file (by its
sha256, under the media root, where workers read it), writes the ``imports``
row and the audit event, and rings the import job after commit. The job
(jobs.py) does the rows.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.audit.service import record
from server.errors import NotFoundError, PayloadTooLargeError, PermissionDeniedError, RuleViolation
from server.imports import files
from server.imports.mapping import parse_mapping, plan_columns
from server.imports.models import ImportJob as ImportJob
from server.imports.models import ImportRow, ImportStatus, RowOutcome
from server.registry import store
from server.settings import Settings

_SOURCE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
REPORT_LIMIT = 1000  # report lines per outcome in one answer


def require_importer(user: User) -> None:
    """Only administrators import department files."""
    if user.role != Role.ADMIN.value:
        raise PermissionDeniedError("only administrators import files", code="import.forbidden",
                                    message_zh="只有管理员可以导入文件")


def file_path(settings: Settings, sha256: str) -> Path:
    """Where an uploaded file is kept, by its content hash."""
    return Path(settings.media_root) / "imports" / sha256


def _keep(settings: Settings, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = file_path(settings, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return digest


def check_size(settings: Settings, size: int) -> None:
    """413 for a file over the import limit (GRIDREG_MAX_IMPORT_BYTES)."""
    if size > settings.max_import_bytes:
        raise PayloadTooLargeError(f"the file is larger than {settings.max_import_bytes} bytes",
                                   code="import.too_large", message_zh="导入文件超过大小上限",
                                   errors={"file": [f"{size} > {settings.max_import_bytes}"]})


def create_import(
    session: Session,
    settings: Settings,
    user: User,
    *,
    dataset: str,
    source: str,
    filename: str,
    data: bytes,
    mapping: bytes | str | None = None,
    encoding: str | None = None,
    now: datetime,
    enqueue: bool = True,
) -> ImportJob:
    """Accept a file for import (or refuse it whole with a stable code) and ring its job."""
    require_importer(user)
    if not _SOURCE.match(source or ""):
        raise RuleViolation("the source must be a short lowercase name such as police-platform",
                            code="import.bad_source", message_zh="来源应为小写英文短名，如 police-platform",
                            errors={"source": [source]})
    ds = store.get_dataset(session, dataset)
    check_size(settings, len(data))
    table = files.read_table(data, filename, encoding)
    document = parse_mapping(mapping)
    plan_columns(ds.spec, table.headers, document)
    job = ImportJob(dataset=ds.spec.name, source=source, filename=filename[:255], file_format=table.file_format,
                    sha256=_keep(settings, data), size=len(data), encoding=table.encoding, mapping=document,
                    status=ImportStatus.QUEUED.value, total=table.total, done=0, next_row=0, counts={},
                    created_by=user.id, created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    record(session, user.id, "import.created", target_type="import", target_id=job.id,
           detail={"dataset": job.dataset, "source": source, "filename": job.filename, "sha256": job.sha256,
                   "size": job.size, "rows": job.total, "encoding": job.encoding, "format": job.file_format})
    if enqueue:
        from server import pipeline  # the job wiring sits above the contexts (imports.jobs imports this module)

        pipeline.ring(session, settings, pipeline.RUN_IMPORT, job.id)
    return job


def get_import(session: Session, user: User, import_id: int) -> ImportJob:
    """One import, for administrators."""
    require_importer(user)
    job = session.get(ImportJob, import_id)
    if job is None:
        raise NotFoundError(f"import {import_id} not found", code="import.not_found", message_zh="没有该导入任务")
    return job


def report(session: Session, job: ImportJob, limit: int = REPORT_LIMIT) -> dict[str, Any]:
    """Counts by outcome and, per outcome other than unchanged, its rows (number, reason, record)."""
    counts = Counter({o: n for o, n in session.execute(
        select(ImportRow.outcome, func.count()).where(ImportRow.import_id == job.id).group_by(ImportRow.outcome))})
    lines: dict[str, list[dict[str, Any]]] = {}
    for outcome in RowOutcome:
        if outcome is RowOutcome.UNCHANGED or not counts.get(outcome.value):
            lines[outcome.value] = []
            continue
        rows = session.scalars(select(ImportRow).where(ImportRow.import_id == job.id, ImportRow.outcome == outcome)
                               .order_by(ImportRow.row_number).limit(limit))
        lines[outcome.value] = [_line(r) for r in rows]
    return {"counts": {o.value: counts.get(o.value, 0) for o in RowOutcome}, "rows": lines}


def _line(row: ImportRow) -> dict[str, Any]:
    out: dict[str, Any] = {"row": row.row_number}
    if row.entity_uuid:
        out["entity_uuid"] = row.entity_uuid
    if row.code:
        out["code"] = row.code
    if row.detail:
        out.update(row.detail)
    return out


def view(session: Session, job: ImportJob) -> dict[str, Any]:
    """An import as the API shows it: progress, where it stopped if it failed, and the report."""
    return {
        "id": job.id, "status": job.status, "dataset": job.dataset, "source": job.source,
        "filename": job.filename, "format": job.file_format, "encoding": job.encoding,
        "done": job.done, "total": job.total, "error": job.error,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "report": report(session, job),
    }


def summary(job: ImportJob) -> Mapping[str, Any]:
    """The short answer to an upload: ``{id, status}``."""
    return {"id": job.id, "status": job.status}
