"""Background jobs of intake: validation, photo derivatives, and finding rows whose job never ran.

Validation re-runs every rule of the form on the stored data (received →
validated | invalid) under a row lock, so a second run, a retry or a concurrent
duplicate changes nothing. With job processes running, ``validate_received``
claims received submissions in batches (the batch loop, server/batch_worker.py);
without Redis, ``validate_submission`` validates one inline after the commit
that stored it. A submission whose attachments have not all arrived yet (ODK
Collect splits big uploads over several POSTs) waits until the last one is in,
or until ``ATTACHMENT_GRACE_SECONDS`` have passed. Once a submission is
validated, what follows validation in server/pipeline.py (the registry's merge)
takes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from server import worker
from server.batch_worker import retry_at
from server.forms import validator
from server.forms.models import definition_by_id
from server.media.images import DISPLAY_PX, THUMB_PX, derivative
from server.media.storage import media_store
from server.queue import enqueue_after_commit, job_path
from server.sealing.crypto import Sealer
from server.settings import Settings
from server.submissions.models import Submission, SubmissionAttachment, SubmissionStatus
from server.submissions.sealing import open_answers

ATTACHMENT_GRACE_SECONDS = 3600

log = logging.getLogger(__name__)

def _issue(item: Any) -> dict[str, str]:
    """A validator issue (object or dict) as the stored {path, code, message}."""
    def get(key: str) -> str:
        value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
        return str(value or "")

    return {"path": get("path"), "code": get("code"), "message": get("message")}


# Built once: the jobs run for every submission. The rows are read and written through Core
# statements (under the row locks) rather than loaded into the ORM.
_SUBMISSIONS = cast(Table, Submission.__table__)
_COLUMNS = (_SUBMISSIONS.c.id, _SUBMISSIONS.c.status, _SUBMISSIONS.c.form_version_id, _SUBMISSIONS.c.received_at,
            _SUBMISSIONS.c.instance_id, _SUBMISSIONS.c.data, _SUBMISSIONS.c.attempts)
_LOCK = select(*_COLUMNS).where(_SUBMISSIONS.c.id == bindparam("id")).with_for_update(of=_SUBMISSIONS)
_ATTACHMENTS = (select(SubmissionAttachment.submission_id, SubmissionAttachment.name, SubmissionAttachment.sha256)
                .where(SubmissionAttachment.submission_id.in_(bindparam("ids", expanding=True))))
_JUDGE = (update(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("sid"))
          .values(status=bindparam("status"), errors=bindparam("errors"), validated_at=bindparam("at"),
                  retry_at=bindparam("retry")))
_WAIT = update(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("sid")).values(retry_at=bindparam("retry"))
_FAILED = (update(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("sid"))
           .values(attempts=_SUBMISSIONS.c.attempts + 1, retry_at=bindparam("retry")))
# A submission still waiting for attachments is looked at again this often by the batch claims.
WAITING_RECHECK_SECONDS = 15


def _claim_received(limit: int) -> Select[Any]:
    """Received submissions due for validation, oldest first, skipping rows another worker holds."""
    due = or_(_SUBMISSIONS.c.retry_at.is_(None), _SUBMISSIONS.c.retry_at <= bindparam("now"))
    return (select(*_COLUMNS).where(_SUBMISSIONS.c.status == SubmissionStatus.RECEIVED.value, due)
            .order_by(_SUBMISSIONS.c.id).limit(limit).with_for_update(of=_SUBMISSIONS, skip_locked=True))


def _judge(settings: Settings, row: Any, files: Sequence[Any], now: datetime,
           definition_of: Callable[[int], Mapping[str, Any]]) -> dict[str, Any]:
    """The validator's verdict on one locked received row, as the parameters of ``_JUDGE`` (status "waiting": none)."""
    received = [f.name for f in files if f.sha256 is not None]
    if len(received) < len(files) and now - row.received_at < timedelta(seconds=ATTACHMENT_GRACE_SECONDS):
        return {"sid": row.id, "status": "waiting"}
    definition = definition_of(row.form_version_id)
    data = open_answers(row.data, definition, Sealer.from_settings(settings), row.instance_id)
    issues = validator.check_submission(definition, data, attachments=tuple(received), tz=settings.time_zone)
    status = (SubmissionStatus.INVALID if issues else SubmissionStatus.VALIDATED).value
    return {"sid": row.id, "status": status, "errors": [_issue(i) for i in issues], "at": now, "retry": None}


def validate_submission(submission_id: int) -> str:
    """Run the form's validator on a received submission; a no-op for any other state."""
    from server import pipeline  # the job wiring sits above every context

    settings = worker.settings()
    with worker.job_session() as session:
        row = session.execute(_LOCK, {"id": submission_id}).first()
        if row is None or row.status != SubmissionStatus.RECEIVED:
            return "skipped"
        files = session.execute(_ATTACHMENTS, {"ids": [submission_id]}).all()
        verdict = _judge(settings, row, files, datetime.now(UTC), lambda vid: definition_by_id(session, vid))
        if verdict["status"] == "waiting":
            return "waiting"
        session.execute(_JUDGE, verdict)
        if verdict["status"] == SubmissionStatus.VALIDATED:
            pipeline.ring_followers(session, settings, validate_submission, submission_id)
        return str(verdict["status"])


def validate_received(limit: int, now: datetime | None = None) -> int:
    """Claim up to ``limit`` received submissions and validate them in one transaction; how many were claimed.

    The batch stage of server/batch_worker.py: a submission still waiting for
    attachments is looked at again in ``WAITING_RECHECK_SECONDS``; one whose
    validation fails unexpectedly keeps its state and is retried with backoff
    (``note_failure``) without holding up the others.
    """
    settings = worker.settings()
    now = now or datetime.now(UTC)
    with worker.job_session() as session:
        rows = session.execute(_claim_received(limit), {"now": now}).all()
        if not rows:
            return 0
        files: dict[int, list[Any]] = {row.id: [] for row in rows}
        for f in session.execute(_ATTACHMENTS, {"ids": list(files)}):
            files[f.submission_id].append(f)
        definitions: dict[int, Mapping[str, Any]] = {}  # looked up once per version in a batch

        def definition_of(version_id: int) -> Mapping[str, Any]:
            if version_id not in definitions:
                definitions[version_id] = definition_by_id(session, version_id)
            return definitions[version_id]

        verdicts: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for row in rows:
            try:
                verdict = _judge(settings, row, files[row.id], now, definition_of)
            except (OperationalError, InterfaceError):
                raise  # the database itself: the whole batch rolls back and is claimed again
            except Exception:  # noqa: BLE001 - one submission's unexpected failure is its own
                log.exception("validation failed", extra={"submission_id": row.id})
                note_failure(session, row.id, row.attempts, now)
                continue
            if verdict["status"] == "waiting":
                waiting.append({"sid": row.id, "retry": now + timedelta(seconds=WAITING_RECHECK_SECONDS)})
            else:
                verdicts.append(verdict)
        for statement, params in ((_JUDGE, verdicts), (_WAIT, waiting)):
            if params:
                session.execute(statement, params)  # one executemany per kind
        return len(rows)


def note_failure(session: Session, submission_id: int, attempts: int, now: datetime) -> None:
    """Count an unexpected failure of a submission's job and hold its next try back (backoff)."""
    session.execute(_FAILED, {"sid": submission_id, "retry": retry_at(attempts + 1, now)})


def make_derivatives(attachment_id: int) -> str:
    """Write a photo's display (1280 px) and thumbnail (256 px) JPEGs; a no-op once they exist."""
    settings = worker.settings()
    with worker.job_session() as session:
        att = session.scalar(select(SubmissionAttachment).where(SubmissionAttachment.id == attachment_id)
                             .with_for_update(of=SubmissionAttachment))
        if att is None or att.sha256 is None or att.kind != "image" or att.derivatives == "ready":
            return "skipped"
        store = media_store(settings)
        original = store.read(att.sha256)
        try:
            display = store.put(derivative(original, DISPLAY_PX, max_pixels=settings.max_photo_pixels))
            thumb = store.put(derivative(original, THUMB_PX, max_pixels=settings.max_photo_pixels))
        except Exception:
            # The photo passed its checks at intake, so this is unexpected: mark it and let RQ record it.
            log.exception("derivatives failed", extra={"attachment_id": attachment_id})
            raise
        att.display_sha256, att.thumb_sha256, att.derivatives = display.sha256, thumb.sha256, "ready"
        return "ready"


def find_stuck(session: Session, settings: Settings, older_than_seconds: int) -> int:
    """Ring validation again for received rows, and derivatives still pending, older than the timeout."""
    from server import pipeline  # the job wiring sits above every context

    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    ids = list(session.scalars(select(Submission.id).where(
        Submission.status == SubmissionStatus.RECEIVED.value, Submission.received_at < cutoff)
        .order_by(Submission.id)))
    for submission_id in ids:
        pipeline.ring_received(session, settings, submission_id)
    attachment_ids = list(session.scalars(select(SubmissionAttachment.id).where(
        SubmissionAttachment.derivatives == "pending", SubmissionAttachment.received_at < cutoff)
        .order_by(SubmissionAttachment.id)))
    for attachment_id in attachment_ids:
        enqueue_after_commit(session, settings, "media", job_path(make_derivatives), attachment_id)
    return len(ids) + len(attachment_ids)
