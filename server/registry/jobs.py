"""Registry jobs: fold validated submissions into the registry.

``merge_submission`` (the job that follows validation, server/pipeline.py) locks the
submission row, re-checks that it is still ``validated`` (so a second run, a
retry or a concurrent duplicate changes nothing), merges its entities blocks
(merge.py; the registry's own claim per instance id makes even a run racing
past the status check harmless) and moves it to ``merged``, or to
``rejected`` with the reason when the registry cannot take it (an update
naming an unknown record, a record that cannot be placed). A block whose
create_if/update_if is false is not an error: the submission is ``merged``
and its merge result (``registry_sources``, GET
/api/v1/registry/submissions/<instance id>) says ``skipped`` and why. ``merge_validated``
claims validated submissions in batches (the merge stage of server/batch_worker.py)
and merges them in one transaction with one batch merge (batch.py: the
one-at-a-time result, with a few statements per batch). A batch that fails
unexpectedly is rolled back and merged again one submission at a time, each in
its own savepoint, so the one that fails is retried later with backoff
(``submissions.jobs.note_failure``) without holding up the others.

A form writing to a dataset declared ``merge_after_review`` merges only once
its submission is approved: until then the job leaves it ``validated``
(``awaiting_review``), the backlog drain and ``find_stuck`` pass it by, and the
approval rings the job again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from server import worker
from server.errors import AppError
from server.forms.models import FormVersion
from server.geo.points import lon_lat_of
from server.registry import store
from server.registry.batch import merge_batch
from server.registry.history import lock_feed
from server.registry.records import SubmissionEssentials
from server.sealing.crypto import Sealer, current_sealer
from server.settings import Settings
from server.submissions.jobs import note_failure
from server.submissions.models import ReviewState, Submission, SubmissionStatus
from server.submissions.sealing import open_answers

log = logging.getLogger(__name__)


def awaits_review(session: Session, definition: Mapping[str, Any]) -> bool:
    """True when the form writes to a dataset whose submissions merge only once approved."""
    entities = definition.get("entities") or ()
    blocks = [entities] if isinstance(entities, Mapping) else list(entities)
    specs = store.declared(session)
    for block in blocks:
        spec = specs.get(str(block.get("dataset") or block.get("list_name") or "")) if block else None
        if spec is not None and spec.merge_after_review:
            return True
    return False


def _mergeable(session: Session) -> ColumnElement[bool]:
    """Submissions the merge may take now: approved ones, or ones of forms that do not wait for approval."""
    # Few versions, each definition decoded once per process (FormVersion.definition).
    held = [v.id for v in session.scalars(select(FormVersion)) if awaits_review(session, v.definition or {})]
    if not held:
        return Submission.id.is_not(None)
    return or_(Submission.review_state == ReviewState.APPROVED.value, Submission.form_version_id.not_in(held))


def _essentials(submission: Submission, sealer: Sealer, time_zone: str) -> SubmissionEssentials | None:
    """What the merge needs of a submission; None for a form that writes no entities."""
    definition = submission.form_version.definition or {}
    entities = definition.get("entities")
    if not entities:
        return None
    return SubmissionEssentials(
        instance_id=submission.instance_id,
        entities=entities,
        data=open_answers(submission.data, definition, sealer, submission.instance_id),
        submitter_id=submission.submitter_id,
        received_at=submission.received_at,
        point=lon_lat_of(submission.location),
        unit_path=submission.unit_path,
        form=definition,
        time_zone=time_zone,
    )


def _merge_many(session: Session, submissions: Sequence[Submission], sealer: Sealer, time_zone: str) -> None:
    """Merge locked, validated submissions in order in one batch merge; set each one's new status."""
    pending = [(s, ess) for s in submissions if (ess := _essentials(s, sealer, time_zone)) is not None]
    results = merge_batch(session, [ess for _, ess in pending], sealer) if pending else []
    refused = {s.id: r for (s, _), r in zip(pending, results, strict=True) if isinstance(r, AppError)}
    for submission in submissions:
        exc = refused.get(submission.id)
        if exc is not None:
            submission.errors = [*(submission.errors or []), {"path": "", "code": exc.code, "message": exc.message}]
            submission.status = SubmissionStatus.REJECTED.value
        else:
            submission.status = SubmissionStatus.MERGED.value


def _merge_one(session: Session, submission: Submission, sealer: Sealer, time_zone: str) -> str:
    """Merge one locked, validated submission; set its new status."""
    _merge_many(session, [submission], sealer, time_zone)
    return str(submission.status)


def merge_submission(submission_id: int) -> str:
    """Merge one validated submission; a no-op for any other state, or while it waits for approval."""
    with worker.job_session() as session:
        submission = session.scalar(
            select(Submission).where(Submission.id == submission_id).with_for_update(of=Submission)
        )
        if submission is None or submission.status != SubmissionStatus.VALIDATED:
            return "skipped"
        definition = submission.form_version.definition or {}
        if submission.review_state != ReviewState.APPROVED and awaits_review(session, definition):
            return "awaiting_review"
        settings = worker.settings()
        return _merge_one(session, submission, current_sealer(settings), settings.time_zone)


def merge_validated(limit: int = 200) -> int:
    """Drain a backlog: merge up to ``limit`` validated submissions in one transaction.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several workers share a
    backlog without waiting on each other; a submission the registry refuses is
    rejected without undoing the others. Returns how many it handled.
    """
    now = datetime.now(UTC)
    with worker.job_session() as session:
        rows = list(session.scalars(_claim_validated(session, limit, now)))
        settings = worker.settings()
        sealer = current_sealer(settings)
        if rows:
            lock_feed(session)  # held by the outer transaction, not by a savepoint
        try:
            with session.begin_nested():
                _merge_many(session, rows, sealer, settings.time_zone)
        except (OperationalError, InterfaceError):
            raise  # the database itself: the whole batch rolls back and is claimed again
        except Exception:  # noqa: BLE001 - find the one that fails: one submission at a time
            log.warning("batch merge failed; merging one at a time", exc_info=True)
            for submission in rows:
                with _failure_kept(session, submission, now):
                    _merge_one(session, submission, sealer, settings.time_zone)
        return len(rows)


def _claim_validated(session: Session, limit: int, now: datetime) -> Select[Submission]:
    """Validated submissions the merge may take now and not held back by a retry, oldest first, skipping locked."""
    due = or_(Submission.retry_at.is_(None), Submission.retry_at <= now)
    return (select(Submission).where(Submission.status == SubmissionStatus.VALIDATED.value, due, _mergeable(session))
            .order_by(Submission.id).limit(limit).with_for_update(of=Submission, skip_locked=True))


@contextmanager
def _failure_kept(session: Session, submission: Submission, now: datetime) -> Iterator[None]:
    """One submission's unexpected failure undoes its own savepoint and is retried later, not the batch's."""
    attempts = submission.attempts
    try:
        with session.begin_nested():
            yield
    except (OperationalError, InterfaceError):
        raise  # the database itself: the whole batch rolls back and is claimed again
    except Exception:  # noqa: BLE001 - one submission's unexpected failure is its own
        log.exception("merge failed", extra={"submission_id": submission.id})
        note_failure(session, submission.id, attempts, now)


def find_stuck(session: Session, settings: Settings, older_than_seconds: int) -> int:
    """Ring the merge again for submissions validated longer ago than the timeout."""
    from server import pipeline  # the job wiring sits above every context

    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    ids = list(
        session.scalars(
            select(Submission.id)
            .where(Submission.status == SubmissionStatus.VALIDATED.value, Submission.validated_at < cutoff,
                   _mergeable(session))
            .order_by(Submission.id)
        )
    )
    for submission_id in ids:
        pipeline.ring_validated(session, settings, submission_id)
    return len(ids)
