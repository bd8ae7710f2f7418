"""Uploaded files of a submission: a part as received (``IncomingFile``), and as checked (``CheckedFile``).

``check_files`` refuses a file the data does not declare and verifies images with Pillow; nothing is
written here (service.submit stores what passed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.errors import AppError, BadRequestError, PayloadTooLargeError, RuleViolation
from server.media.images import inspect_image
from server.settings import Settings
from server.submissions import rules

_FILE_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class IncomingFile:
    """One uploaded file part; ``name`` is how the submission's data refers to it."""

    name: str
    data: bytes = field(repr=False)
    content_type: str | None = None


@dataclass(frozen=True)
class CheckedFile:
    """An attachment that passed its checks, ready to store."""

    ref: rules.FileRef
    incoming: IncomingFile
    content_type: str
    width: int | None = None
    height: int | None = None
    taken_at: str | None = None
    gps_lon: float | None = None
    gps_lat: float | None = None
    exif: dict[str, Any] | None = None


class FileTooLargeError(PayloadTooLargeError):
    """An attached file (not a photo: those have their own limits) past the upload limit."""

    code, message_zh = "media.file_too_large", "附件文件超过上传大小上限"


def incoming_files(attachments: Mapping[str, IncomingFile] | Iterable[IncomingFile]) -> dict[str, IncomingFile]:
    """Attachments as {name: IncomingFile}; in a list, a name given twice is a 400."""
    if isinstance(attachments, Mapping):
        return dict(attachments)
    files: dict[str, IncomingFile] = {}
    for incoming in attachments:
        if incoming.name in files:
            raise BadRequestError(f"attachment {incoming.name} sent twice", code="submission.duplicate_attachment",
                                  message_zh="同一附件上传了两次", errors={incoming.name: ["sent twice"]})
        files[incoming.name] = incoming
    return files


def check_files(settings: Settings, refs: Mapping[str, rules.FileRef],
                 attachments: Mapping[str, IncomingFile]) -> dict[str, CheckedFile]:
    """Refuse files the data does not declare; verify images with Pillow. Nothing is written here."""
    for name in attachments:
        rules.check_file_name(name, "attachments")
    undeclared = sorted(name for name in attachments if name not in refs)
    if undeclared:
        raise RuleViolation(f"attachments not named by any file question of the form: {', '.join(undeclared)}",
                            code="submission.attachment_not_declared", message_zh="上传了表单未声明的附件",
                            errors={name: ["not declared"] for name in undeclared})
    checked: dict[str, CheckedFile] = {}
    for name, incoming in attachments.items():
        ref = refs[name]
        try:
            if ref.kind == "image":
                info = inspect_image(incoming.data, max_bytes=settings.max_photo_bytes,
                                     max_pixels=settings.max_photo_pixels)
                checked[name] = CheckedFile(ref, incoming, info.content_type, info.width, info.height,
                                            info.taken_at, info.gps_lon, info.gps_lat, info.exif)
            else:
                if len(incoming.data) > settings.max_upload_bytes:
                    raise FileTooLargeError(f"{name} is larger than the upload limit of "
                                            f"{settings.max_upload_bytes} bytes")
                checked[name] = CheckedFile(ref, incoming, _FILE_TYPE)
        except AppError as exc:
            exc.errors = {name: [exc.message], **exc.errors}
            raise
    return checked
