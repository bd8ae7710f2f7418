"""The import job: fold a file's rows into the registry in committed batches, with a report line per row.

Each row is checked (checks.py); the rows of a batch that pass are merged
through the submissions' merge, all at once and in file order
(registry/batch.py, explicit create): a row the registry refuses leaves
nothing behind but its report line, and what each row writes is what merging
it alone would write. The source of
every version and event is the import row (``import``, ``import-<id>:<row>``),
so a person's timeline shows it.

Idempotence: the merge claims each row by ``import:<source>:<content key>``
(the hash of the row's canonical values), so the same row from the same
source — whichever file, column order or encoding it came in — changes
nothing the second time (``unchanged``). Identity is the strong key's job,
not the row key's: a platform re-exporting a person with one field changed
makes a new content key, the merge finds the ID number and *updates* that
record; a row without an ID number that nearly matches one becomes a new
record with a duplicate candidate for a supervisor.

Rows go in batches of ``BATCH`` per transaction; the batch's report lines and
the job's progress (``next_row``, ``done``, counts) commit with its merges. A
crash loses at most the open batch, which the next run (a retry, or
``requeue-stuck``) does again from ``next_row``. A failure records the error
and the row it stopped at before the job gives up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server import worker
from server.audit.service import record
from server.domain.datasets import DatasetSpec
from server.errors import AppError
from server.geo.models import AdminUnit
from server.geo.service import grid_path_at
from server.imports import files
from server.imports.checks import CheckedRow, check_row
from server.imports.mapping import ColumnPlan, plan_columns
from server.imports.models import ImportJob, ImportRow, ImportStatus, RowOutcome
from server.imports.service import file_path
from server.queue import enqueue_after_commit, job_path
from server.registry import fastpath, history, store
from server.registry.batch import merge_batch
from server.registry.models import AppliedSource, SourceType
from server.registry.records import MergeOutcome, SubmissionEssentials
from server.sealing.crypto import Sealer, current_sealer

log = logging.getLogger(__name__)
BATCH = 500
_STATISTICS_AT = tuple(1000 * 2**n for n in range(12))  # records created: 1k, 2k, 4k, … 2M
Progress = Callable[[int, int], None]
_OUTCOMES = {"created": RowOutcome.CREATED, "deduplicated": RowOutcome.UPDATED, "updated": RowOutcome.UPDATED,
             "already_merged": RowOutcome.UNCHANGED}


class _Run:
    """One pass over an import's file: the table, the column plan and what this file said so far."""

    def __init__(self, job: ImportJob, spec: DatasetSpec, time_zone: str) -> None:
        settings = worker.settings()
        self.job_id, self.source, self.dataset = job.id, job.source, job.dataset
        self.actor, self.received_at, self.time_zone = job.created_by, job.created_at, time_zone
        self.table = files.read_table(file_path(settings, job.sha256).read_bytes(), job.filename, job.encoding)
        self.spec = spec
        self.plan: ColumnPlan = plan_columns(spec, self.table.headers, job.mapping)
        self.today = job.created_at.astimezone(ZoneInfo(time_zone)).date()
        self.id_property = store.id_property(spec)
        self.seen: dict[str, int] = {}  # content key -> first row with it
        self.ids: dict[str, int] = {}  # ID number -> first row with it
        self.checked_upto = 0  # rows before this index have been seen (for in-file duplicates)
        self.grids: dict[str, str] | None = None

    def catch_up(self, start: int) -> None:
        """Remember the rows an earlier run committed, so a resumed run still finds in-file duplicates."""
        for number, cells in files.iter_rows(self.table, self.checked_upto):
            if number - 2 >= start:
                break
            row = check_row(self.spec, self.plan, cells, self.today)
            if not row.problems:
                self._first(row, number)
        self.checked_upto = max(self.checked_upto, start)

    def _first(self, row: CheckedRow, number: int) -> dict[str, Any] | None:
        """None for a row first seen here; else its report line as a duplicate of an earlier row."""
        key = row.content_key()
        if key in self.seen:
            return {"outcome": RowOutcome.DUPLICATE_IN_FILE, "detail": {"same_as_row": self.seen[key]}}
        self.seen[key] = number
        id_number = row.props.get(self.id_property) if self.id_property else None
        if id_number:
            if id_number in self.ids:
                return {"outcome": RowOutcome.REFUSED, "code": "row.duplicate_key",
                        "detail": {"same_as_row": self.ids[id_number],
                                   "message": "同一身份证号码在文件中出现两次且内容不同"}}
            self.ids[id_number] = number
        return None

    def _grid_path(self, session: Session, code: str) -> str | None:
        """The path of a grid by its code (every grid's read once per run: a file names many)."""
        if self.grids is None:
            self.grids = {code: path for code, path in session.execute(
                select(AdminUnit.code, AdminUnit.path).where(AdminUnit.level == "grid"))}
        return self.grids.get(code)

    def claim_key(self, row: CheckedRow) -> str:
        """The merge's claim of this row: the source and the row's content (merge.py adds the dataset)."""
        return f"import:{self.source}:{row.content_key()}"

    def claimed(self, session: Session, rows: list[CheckedRow]) -> set[str]:
        """Which of these rows this source imported before (one query per batch instead of a merge per row)."""
        keys = {f"{self.claim_key(r)}:{self.dataset}": r for r in rows if not r.problems}
        found = session.scalars(select(AppliedSource.source_key).where(AppliedSource.source_key.in_(list(keys))))
        return {self.claim_key(keys[k]) for k in found}

    def prepare(self, session: Session, number: int, row: CheckedRow,
                claimed: set[str]) -> dict[str, Any] | SubmissionEssentials:
        """The row's report line when it merges nothing (refused, duplicate, unchanged); else what to merge."""
        if row.problems:
            return {"outcome": RowOutcome.REFUSED, "code": row.problems[0]["code"],
                    "detail": {"problems": row.problems}}
        if (duplicate := self._first(row, number)) is not None:
            return duplicate
        if self.claim_key(row) in claimed:
            return {"outcome": RowOutcome.UNCHANGED}
        unit_path = None
        if row.grid is not None and (unit_path := self._grid_path(session, row.grid)) is None:
            return _refused("row.unknown_grid", "网格编码不存在", self.plan.header_of("grid"))
        if row.point is not None and row.grid is None and grid_path_at(session, *row.point) is None:
            return _refused("row.outside_grids", "位置不在任何网格内", self.plan.header_of("lon"))
        if unit_path is None and row.point is None and not row.props.get(self.spec.placement.geopoint):
            return _refused("row.unplaced", "没有网格编码或经纬度，无法确定所属网格", self.plan.header_of("grid"))
        return SubmissionEssentials(
            instance_id=f"import-{self.job_id}:{number}",
            entities={"dataset": self.dataset, "save_to": {p: p for p in row.props}},
            data=row.props, submitter_id=self.actor, received_at=self.received_at, point=row.point,
            unit_path=unit_path, create=True, update=False, time_zone=self.time_zone,
            source_type=SourceType.IMPORT.value, source_key=self.claim_key(row))


def _created(counts: dict[str, int]) -> int:
    """How many records an import's rows have created so far."""
    return counts.get(RowOutcome.CREATED.value, 0) + counts.get(RowOutcome.CANDIDATE.value, 0)


def _refusal(exc: AppError) -> dict[str, Any]:
    """The report line of a row the registry refused."""
    return {"outcome": RowOutcome.REFUSED, "code": exc.code,
            "detail": {"message": exc.message_zh, **({"errors": exc.errors} if exc.errors else {})}}


def _line(outcome: MergeOutcome) -> dict[str, Any]:
    """The report line of a merged row."""
    result = _OUTCOMES.get(outcome.action, RowOutcome.UNCHANGED)
    detail: dict[str, Any] = {}
    if result is RowOutcome.CREATED and outcome.candidates:
        result, detail = RowOutcome.CANDIDATE, {"candidates": outcome.candidates}
    if outcome.conflict:
        detail["conflict"] = outcome.conflict
    return {"outcome": result, "entity_uuid": outcome.entity_uuid, "detail": detail or None}


def _refused(code: str, message: str, column: str) -> dict[str, Any]:
    return {"outcome": RowOutcome.REFUSED, "code": code,
            "detail": {"problems": [{"column": column, "code": code, "message": message}]}}


def _lock(session: Session, import_id: int) -> ImportJob | None:
    return session.scalar(select(ImportJob).where(ImportJob.id == import_id).with_for_update())


def _start(import_id: int) -> _Run | None:
    """Mark the import running and read its file; None when there is nothing to do."""
    with worker.job_session() as session:
        job = _lock(session, import_id)
        if job is None or job.status == ImportStatus.DONE.value:
            return None
        run = _Run(job, store.get_dataset(session, job.dataset).spec, worker.settings().time_zone)
        job.status, job.error, job.updated_at = ImportStatus.RUNNING.value, None, datetime.now(UTC)
        return run


def _batch(run: _Run, sealer: Sealer) -> tuple[int, int] | None:
    """Import the next batch in one transaction; (done, total), or None when the file is finished."""
    with worker.job_session() as session:
        job = _lock(session, run.job_id)
        if job is None or job.status == ImportStatus.DONE.value or job.next_row >= job.total:
            return None
        start, end = job.next_row, min(job.next_row + BATCH, job.total)
        run.catch_up(start)
        history.lock_feed(session)  # held by the batch's transaction, not by a row's savepoint
        lines = []
        counts = dict(job.counts or {})
        batch = [(index + 2, check_row(run.spec, run.plan, run.table.rows[index], run.today))
                 for index in range(start, end)]
        claimed = run.claimed(session, [row for _, row in batch])
        made: dict[int, dict[str, Any]] = {}
        merging: list[tuple[int, SubmissionEssentials]] = []
        for number, row in batch:
            prepared = run.prepare(session, number, row, claimed)
            if isinstance(prepared, dict):
                made[number] = prepared
            else:
                merging.append((number, prepared))
        results = merge_batch(session, [essentials for _, essentials in merging], sealer)
        for (number, _), result in zip(merging, results, strict=True):
            made[number] = _refusal(result) if isinstance(result, AppError) else _line(result[0])
        for number, _ in batch:
            line = made[number]
            counts[line["outcome"].value] = counts.get(line["outcome"].value, 0) + 1
            lines.append({"import_id": job.id, "row_number": number, "outcome": line["outcome"].value,
                          "entity_uuid": line.get("entity_uuid"), "code": line.get("code"),
                          "detail": line.get("detail")})
        run.checked_upto = end
        if lines:
            session.execute(insert(ImportRow), lines)
        job.next_row = job.done = end
        created_before = dict(job.counts or {})
        job.counts, job.updated_at = counts, datetime.now(UTC)
        if any(_created(created_before) < mark <= _created(counts) for mark in _STATISTICS_AT):
            fastpath.refresh_statistics(session)  # the registry grew by a good share (a first import)
        return end, job.total


def _finish(import_id: int) -> str:
    with worker.job_session() as session:
        job = _lock(session, import_id)
        if job is None:
            return "skipped"
        if job.status != ImportStatus.DONE.value:
            job.status, job.finished_at = ImportStatus.DONE.value, datetime.now(UTC)
            record(session, job.created_by, "import.finished", target_type="import", target_id=job.id,
                   detail={"dataset": job.dataset, "source": job.source, "rows": job.total, "counts": job.counts})
        return str(job.status)


def _fail(import_id: int, exc: BaseException) -> None:
    """Record where the import stopped and why, so the report says so (a retry resumes from there)."""
    with worker.job_session() as session:
        job = _lock(session, import_id)
        if job is None:
            return
        code = exc.code if isinstance(exc, AppError) else "import.crashed"
        job.status, job.updated_at = ImportStatus.FAILED.value, datetime.now(UTC)
        job.error = {"code": code, "message": str(exc)[:500], "stopped_at_row": job.next_row + 2}


def run_import(import_id: int, progress: Progress | None = None) -> str:
    """Import (or resume importing) a file's rows; a no-op once the import is done."""
    try:
        run = _start(import_id)
        if run is None:
            return "skipped"
        sealer = current_sealer(worker.settings())
        while (step := _batch(run, sealer)) is not None:
            if progress is not None:
                progress(*step)
        return _finish(import_id)
    except Exception as exc:  # noqa: BLE001 - the job edge: the row records where it stopped, then RQ retries
        log.exception("import failed", extra={"import_id": import_id})
        _fail(import_id, exc)
        raise


def find_stuck(session: Session, settings: Any, older_than_seconds: int) -> int:
    """Ring the import bell again for imports queued or running without progress past the timeout."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    ids = list(session.scalars(
        select(ImportJob.id).where(ImportJob.status.in_([ImportStatus.QUEUED.value, ImportStatus.RUNNING.value]),
                                   ImportJob.updated_at < cutoff).order_by(ImportJob.id)))
    for import_id in ids:
        enqueue_after_commit(session, settings, "imports", job_path(run_import), import_id)
    return len(ids)
