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
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.errors import BadRequestError

# 'audit' is Collect's form audit log (audit.csv), sent with the submission like any file answer.
ATTACHMENT_TYPES = frozenset({"image", "file", "audio", "video", "background-audio", "audit"})
DEFAULT_WARNING_ACCURACY_M = 50.0


@dataclass(frozen=True)
class Location:
    """A GPS fix: WGS 84 lon/lat, optional altitude and accuracy in metres."""

    lon: float
    lat: float
    altitude_m: float | None = None
    accuracy_m: float | None = None
    field: str | None = None  # the geopoint question it came from; None for meta.location


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


def referenced_files(definition: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, FileRef]:
    """File names the data gives as answers to the form's file questions (image, file, audio, video)."""
    data = body_of(definition, data)
    refs: dict[str, FileRef] = {}
    for node in iter_fields(definition):
        kind = str(node.get("type") or "")
        if kind not in ATTACHMENT_TYPES:
            continue
        path = str(node.get("path") or node.get("name") or "")
        for value in values_at(data, relative_parts(definition, path)):
            if _answered(value) and isinstance(value, str):
                stored_kind = "file" if kind == "audit" else kind
                refs.setdefault(value.strip(), FileRef(value.strip(), path, stored_kind))
    return refs


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_geopoint(value: Any, field: str | None = None) -> Location | None:
    """A geopoint answer ("lat lon [alt [acc]]" or {lat, lon, altitude, accuracy}) or None if unusable."""
    if isinstance(value, Mapping):
        lat, lon = _number(value.get("lat", value.get("latitude"))), _number(
            value.get("lon", value.get("lng", value.get("longitude"))))
        alt, acc = _number(value.get("altitude", value.get("alt"))), _number(value.get("accuracy"))
    elif isinstance(value, str):
        parts = value.split()
        if len(parts) < 2:
            return None
        nums = [_number(p) for p in parts[:4]] + [None, None]
        lat, lon, alt, acc = nums[0], nums[1], nums[2], nums[3]
    else:
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if acc is not None and acc < 0:
        acc = None
    return Location(lon, lat, alt, acc, field)


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
        value = _number((node.get("parameters") or {}).get("warning-accuracy"))
        if value is not None and value > 0:
            return value
    settings = definition.get("settings") or {}
    for key in ("warning_accuracy", "warning-accuracy", "gps_warning_accuracy"):
        value = _number(settings.get(key))
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
