"""Background jobs of intake: validation, photo derivatives, and finding rows whose job never ran.

``validate_submission`` re-runs every rule of the form on the stored data
(received → validated | invalid) under a row lock, so a second run, a retry or
a concurrent duplicate changes nothing. A submission whose attachments have not
all arrived yet (ODK Collect splits big uploads over several POSTs) waits until
the last one is in, or until ``ATTACHMENT_GRACE_SECONDS`` have passed; the
replay that completes it, or ``find_stuck``, rings the bell again. Once a
submission is validated, the jobs that follow validation in server/pipeline.py
(the registry's merge) are rung after commit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from server import worker
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


# Built once: the job runs for every submission. The row is read and written through Core
# statements (three, under the row lock) rather than loaded into the ORM.
_SUBMISSIONS = cast(Table, Submission.__table__)
_LOCK = (select(_SUBMISSIONS.c.status, _SUBMISSIONS.c.form_version_id, _SUBMISSIONS.c.received_at,
                _SUBMISSIONS.c.instance_id, _SUBMISSIONS.c.data)
         .where(_SUBMISSIONS.c.id == bindparam("id")).with_for_update(of=_SUBMISSIONS))
_ATTACHMENTS = (select(SubmissionAttachment.name, SubmissionAttachment.sha256)
                .where(SubmissionAttachment.submission_id == bindparam("id")))
_JUDGE = (update(_SUBMISSIONS).where(_SUBMISSIONS.c.id == bindparam("sid"))
          .values(status=bindparam("status"), errors=bindparam("errors"), validated_at=bindparam("at")))


def validate_submission(submission_id: int) -> str:
    """Run the form's validator on a received submission; a no-op for any other state."""
    from server import pipeline  # the job wiring sits above every context

    settings = worker.settings()
    with worker.job_session() as session:
        row = session.execute(_LOCK, {"id": submission_id}).first()
        if row is None or row.status != SubmissionStatus.RECEIVED:
            return "skipped"
        now = datetime.now(UTC)
        files = session.execute(_ATTACHMENTS, {"id": submission_id}).all()
        received = [f.name for f in files if f.sha256 is not None]
        waiting = len(received) < len(files)
        if waiting and now - row.received_at < timedelta(seconds=ATTACHMENT_GRACE_SECONDS):
            return "waiting"
        definition = definition_by_id(session, row.form_version_id)
        data = open_answers(row.data, definition, Sealer.from_settings(settings), row.instance_id)
        issues = validator.check_submission(definition, data, attachments=tuple(received), tz=settings.time_zone)
        status = (SubmissionStatus.INVALID if issues else SubmissionStatus.VALIDATED).value
        session.execute(_JUDGE, {"sid": submission_id, "status": status, "errors": [_issue(i) for i in issues],
                                 "at": now})
        if status == SubmissionStatus.VALIDATED:
            pipeline.ring_followers(session, settings, validate_submission, submission_id)
        return status


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
    """Re-enqueue validation of received rows, and derivatives still pending, older than the timeout."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    ids = list(session.scalars(select(Submission.id).where(
        Submission.status == SubmissionStatus.RECEIVED.value, Submission.received_at < cutoff)
        .order_by(Submission.id)))
    for submission_id in ids:
        enqueue_after_commit(session, settings, "validation", job_path(validate_submission), submission_id)
    attachment_ids = list(session.scalars(select(SubmissionAttachment.id).where(
        SubmissionAttachment.derivatives == "pending", SubmissionAttachment.received_at < cutoff)
        .order_by(SubmissionAttachment.id)))
    for attachment_id in attachment_ids:
        enqueue_after_commit(session, settings, "media", job_path(make_derivatives), attachment_id)
    return len(ids) + len(attachment_ids)
