"""The media job: display and thumbnail derivatives of a stored photo."""

from __future__ import annotations

import logging

from sqlalchemy import select

from server import worker
from server.media.images import DISPLAY_PX, THUMB_PX, derivative
from server.media.storage import media_store
from server.submissions.models import SubmissionAttachment

log = logging.getLogger(__name__)


def make_derivatives(attachment_id: int) -> str:
    """Write the display (1280 px) and thumbnail (256 px) JPEGs; a no-op once they exist."""
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
