"""Pure rules of intake: reading the compiled definition and the data tree, no database.

The compiled definition (server/forms/compiled.py) is a tree of ``fields``,
each with an absolute ``path`` (``/data/identity/photo``), a ``type`` and
``parameters``. Submission data is the instance below the root element as
nested objects, a repeat being a list of objects: ``{"identity": {"photo":
"p.jpg"}, "family": {"children": [{...}, {...}]}}``. Values are strings as
OpenRosa carries them or native JSON values.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.errors import BadRequestError, RuleViolation
from server.geo.points import Location, finite_number, parse_geopoint

# 'audit' is Collect's form audit log (audit.csv), sent with the submission like any file answer.
ATTACHMENT_TYPES = frozenset({"image", "file", "audio", "video", "background-audio", "audit"})
DEFAULT_WARNING_ACCURACY_M = 50.0


@dataclass(frozen=True)
class FileRef:
    """A file the data names, and the question that names it."""

    name: str
    field: str
    kind: str


def iter_fields(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every field of the compiled tree, depth first."""
    stack = list(reversed(definition.get("fields") or []))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.get("children") or []))


def relative_parts(definition: Mapping[str, Any], path: str) -> list[str]:
    """``/data/identity/photo`` → ``["identity", "photo"]`` (the root element dropped)."""
    parts = [p for p in str(path).split("/") if p]
    root = str(definition.get("root") or "")
    if parts and root and parts[0] == root:
        parts = parts[1:]
    return parts


def values_at(data: Any, parts: Sequence[str]) -> list[Any]:
    """Every value at ``parts`` in the data tree, descending into each repeat instance."""
    if isinstance(data, list):
        return [v for item in data for v in values_at(item, parts)]
    if not parts:
        return [data]
    if not isinstance(data, Mapping) or parts[0] not in data:
        return []
    return values_at(data[parts[0]], parts[1:])


def _answered(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def body_of(definition: Mapping[str, Any], data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The root's content, whether given bare or wrapped as ``{"<root>": {...}}``."""
    root = str(definition.get("root") or "")
    if root and len(data) == 1 and isinstance(data.get(root), Mapping):
        inner: Mapping[str, Any] = data[root]
        return inner
    return data


def check_file_name(name: str, where: str) -> None:
    """Refuse a file name holding a control character (NUL, ESC, a newline, C1 controls…).

    Such a name cannot be stored by PostgreSQL, sent in a Content-Disposition header or written to
    an XML answer, so it is refused at intake rather than stored and then failing every read.
    """
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        shown = name.encode("unicode_escape").decode("ascii")
        raise RuleViolation(f"the file name {shown} holds a control character", code="submission.bad_attachment_name",
                            message_zh="附件文件名含有控制字符", errors={where: [f"control character in {shown}"]})


def referenced_files(definition: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, FileRef]:
    """File names the data gives as answers to the form's file questions (image, file, audio, video).

    A name holding a control character is refused (``check_file_name``), located at its question.
    """
    data = body_of(definition, data)
    refs: dict[str, FileRef] = {}
    for node in iter_fields(definition):
        kind = str(node.get("type") or "")
        if kind not in ATTACHMENT_TYPES:
            continue
        path = str(node.get("path") or node.get("name") or "")
        for value in values_at(data, relative_parts(definition, path)):
            if _answered(value) and isinstance(value, str):
                check_file_name(value.strip(), path)
                stored_kind = "file" if kind == "audit" else kind
                refs.setdefault(value.strip(), FileRef(value.strip(), path, stored_kind))
    return refs


def geopoint_fields(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The form's geopoint questions, in form order."""
    return [n for n in iter_fields(definition) if n.get("type") == "geopoint"]


def find_location(definition: Mapping[str, Any], data: Mapping[str, Any],
                  meta: Mapping[str, Any] | None) -> Location | None:
    """Where the submission was made: the first answered geopoint question, else meta.location."""
    data = body_of(definition, data)
    for node in geopoint_fields(definition):
        path = str(node.get("path") or node.get("name") or "")
        for value in values_at(data, relative_parts(definition, path)):
            found = parse_geopoint(value, path)
            if found is not None:
                return found
    location = (meta or {}).get("location")
    return parse_geopoint(location) if location else None


def warning_accuracy(definition: Mapping[str, Any], field: str | None) -> float:
    """Accuracy (m) beyond which a fix is flagged.

    The answering geopoint question's ``warning-accuracy``; for a device fix (no question), the
    first geopoint question's; else the form settings' ``warning_accuracy``; else 50 m.
    """
    candidates = geopoint_fields(definition)
    if field is not None:
        candidates = [n for n in candidates if n.get("path") == field]
    for node in candidates:
        value = finite_number((node.get("parameters") or {}).get("warning-accuracy"))
        if value is not None and value > 0:
            return value
    settings = definition.get("settings") or {}
    for key in ("warning_accuracy", "warning-accuracy", "gps_warning_accuracy"):
        value = finite_number(settings.get(key))
        if value is not None and value > 0:
            return value
    return DEFAULT_WARNING_ACCURACY_M


def normalize_instance_id(value: Any, field: str = "instance_id") -> str:
    """A UUID instance id (bare or ``uuid:``-prefixed) as ``uuid:<lowercase uuid>``, or 400."""
    text = str(value or "").strip()
    bare = text[5:] if text.lower().startswith("uuid:") else text
    try:
        parsed = uuid.UUID(bare)
    except (ValueError, AttributeError, TypeError):
        raise BadRequestError(f"{field} must be a UUID", code="submission.bad_instance_id",
                              message_zh="实例编号必须是 UUID", errors={field: ["not a UUID"]}) from None
    if len(bare) not in (32, 36):
        raise BadRequestError(f"{field} must be a UUID", code="submission.bad_instance_id",
                              message_zh="实例编号必须是 UUID", errors={field: ["not a UUID"]})
    return f"uuid:{parsed}"


def check_meta_ids(definition: Mapping[str, Any], data: Mapping[str, Any], instance_id: str,
                   deprecated_id: str | None) -> None:
    """The data's own ``meta/instanceID`` (and ``meta/deprecatedID``), when given, name this very submission.

    OpenRosa takes both ids from the instance's meta block, so they always agree there; a JSON
    submission names them beside its data, and a disagreement is refused rather than guessed at.
    """
    meta = body_of(definition, data).get("meta")
    if not isinstance(meta, Mapping):
        return
    for key, expected, code in (("instanceID", instance_id, "submission.instance_id_mismatch"),
                                ("deprecatedID", deprecated_id, "submission.deprecated_id_mismatch")):
        given = meta.get(key)
        if not _answered(given):
            continue
        try:
            same = normalize_instance_id(given, f"data.meta.{key}") == expected
        except BadRequestError:
            same = False
        if not same:
            field = "instance_id" if key == "instanceID" else "deprecated_id"
            raise RuleViolation(f"data.meta.{key} {str(given)[:64]!r} differs from {field} {expected!r}",
                                code=code, message_zh=f"数据中的 meta/{key} 与提交的编号不一致",
                                errors={f"data.meta.{key}": [f"differs from {field}"]})


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: equal data gives equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default, allow_nan=False).encode("utf-8")


def content_digest(raw_format: str, raw: bytes, form_version: str, data: Mapping[str, Any]) -> str:
    """What identity of content means: the raw XML bytes, or canonical JSON of version + data."""
    if raw_format == "xml":
        return hashlib.sha256(raw).hexdigest()
    return hashlib.sha256(canonical_json({"form_version": form_version, "data": data})).hexdigest()
