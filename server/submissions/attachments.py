"""Which stored file answers a request for a submission's attachment (the original or a derivative)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from server.accounts.models import User
from server.errors import BadRequestError, NotFoundError
from server.media.storage import media_store
from server.settings import Settings
from server.submissions.service import get_attachment

SIZES = ("original", "display", "thumb")


@dataclass(frozen=True)
class AttachmentFile:
    """A file on disk to send, with its type and content hash (the ETag)."""

    path: Path
    mimetype: str
    sha256: str


def attachment_file(session: Session, settings: Settings, user: User, instance_id: str, name: str,
                    size: str) -> AttachmentFile:
    """The attachment (display / thumbnail derivative: JPEG, no EXIF) a user in scope may read, or 400/404."""
    if size not in SIZES:
        raise BadRequestError("size must be original, display or thumb", code="media.bad_size",
                              errors={"size": [size]})
    att = get_attachment(session, user, instance_id, name)
    sha, mimetype = att.sha256, att.content_type or "application/octet-stream"
    if size != "original":
        sha, mimetype = (att.display_sha256 if size == "display" else att.thumb_sha256), "image/jpeg"
    if sha is None:
        raise NotFoundError(f"no {size} derivative of {name} yet", code="media.derivative_not_ready",
                            message_zh="缩略图尚未生成")
    path = media_store(settings).path_for(sha)
    if not path.is_file():
        raise NotFoundError(f"file {name} is missing from storage", code="media.missing")
    return AttachmentFile(path, mimetype, sha)
