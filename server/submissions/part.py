"""The JSON ``submission`` part of an intake request: read with plain checks, explained by a schema.

Every JSON submission passes through here, so the shape a well-behaved client
sends (ids, version, data object, device meta with an optional location) is
checked by ``_plain_part`` with a few type and range tests: no schema walk,
which cost more CPU than inserting the row. Anything it does not recognise as
clearly valid (a missing field, a wrong type, a number sent as text, an out of
range coordinate) goes to ``SubmissionCreateSchema``, which either accepts it
(the schema's coercions stay the rule) or answers the located 422 clients and
tests know. The plain check accepts only what the schema accepts and returns
what the schema would (tests/submissions/test_part.py compares them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from server.errors import BadRequestError, RuleViolation
from server.json_input import JsonInputError, load_json


@dataclass(frozen=True)
class SubmissionIn:
    """A parsed JSON submission part; ``raw`` keeps the bytes exactly as sent."""

    instance_id: str
    form_version: str
    data: dict[str, Any]
    meta: dict[str, Any]
    deprecated_id: str | None
    raw: bytes = field(repr=False)


class LocationSchema(Schema):
    """Where the device was: WGS 84 degrees, metres."""

    class Meta:
        unknown = EXCLUDE

    lon = fields.Float(required=True, validate=validate.Range(-180, 180), allow_nan=False)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), allow_nan=False)
    altitude = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    accuracy = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0), allow_nan=False)


class MetaSchema(Schema):
    """Device facts recorded with the form."""

    class Meta:
        unknown = EXCLUDE

    device_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    start = fields.AwareDateTime(load_default=None, allow_none=True)
    end = fields.AwareDateTime(load_default=None, allow_none=True)
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True)


class SubmissionCreateSchema(Schema):
    """The ``submission`` part: what a client may set, and nothing else."""

    class Meta:
        unknown = EXCLUDE

    instance_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    form_version = fields.String(required=True, validate=validate.Length(min=1, max=100))
    data = fields.Dict(keys=fields.String(), required=True)
    meta = fields.Nested(MetaSchema, load_default=dict)
    deprecated_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))

    @post_load
    def _meta_as_dict(self, item: dict[str, Any], **_: Any) -> dict[str, Any]:
        meta = dict(item.get("meta") or {})
        item["meta"] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in meta.items() if v is not None}
        return item


def load_submission_part(raw: bytes) -> SubmissionIn:
    """Parse and check the JSON ``submission`` part, or raise a 4xx with a stable code."""
    try:
        payload = load_json(raw)
    except JsonInputError as exc:
        raise _json_error(exc) from exc
    if not isinstance(payload, dict):
        raise BadRequestError("the submission part must be a JSON object", code="submission.bad_json",
                              message_zh="submission 部分必须是 JSON 对象")
    item = _plain_part(payload)
    if item is None:
        try:
            item = SubmissionCreateSchema().load(payload)
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"submission": exc.messages}
            raise RuleViolation("the submission part is incomplete or malformed", code="submission.invalid",
                                message_zh="提交内容不完整或格式有误", errors=errors) from exc
    return SubmissionIn(item["instance_id"], item["form_version"], item["data"], item["meta"],
                        item["deprecated_id"], raw)


# ----------------------------------------------------------------------------- the plain check


class _Unclear(Exception):
    """The plain check cannot vouch for a value: the schema decides."""


def _text(value: Any, low: int, high: int) -> str:
    if type(value) is not str or not low <= len(value) <= high:
        raise _Unclear
    return value


def _number(value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    if type(value) not in (int, float):  # bool, text and anything else: the schema's rules
        raise _Unclear
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise _Unclear
    return number


def _optional_number(value: Any, low: float = -math.inf) -> float | None:
    return None if value is None else _number(value, low)


def _aware(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _Unclear
    try:
        parsed = datetime.fromisoformat(value)  # what the schema's "iso" format parses with
    except ValueError:
        raise _Unclear from None
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        raise _Unclear
    return parsed.isoformat()


def _location(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if type(value) is not dict or "lon" not in value or "lat" not in value:
        raise _Unclear
    return {"lon": _number(value["lon"], -180, 180), "lat": _number(value["lat"], -90, 90),
            "altitude": _optional_number(value.get("altitude")),
            "accuracy": _optional_number(value.get("accuracy"), 0)}


def _plain_part(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The loaded part as ``SubmissionCreateSchema`` would return it, or None when the schema must decide."""
    try:
        data = payload.get("data")
        if type(data) is not dict:
            raise _Unclear
        deprecated = payload.get("deprecated_id")
        meta_in = payload.get("meta", {})
        if type(meta_in) is not dict:
            raise _Unclear
        device_id = meta_in.get("device_id")
        meta = {"device_id": None if device_id is None else _text(device_id, 0, 128),
                "start": _aware(meta_in.get("start")), "end": _aware(meta_in.get("end")),
                "location": _location(meta_in.get("location"))}
        return {"instance_id": _text(payload.get("instance_id"), 1, 64),
                "form_version": _text(payload.get("form_version"), 1, 100), "data": dict(data),
                "meta": {k: v for k, v in meta.items() if v is not None},
                "deprecated_id": None if deprecated is None else _text(deprecated, 0, 64)}
    except _Unclear:
        return None


def _json_error(exc: JsonInputError) -> BadRequestError | RuleViolation:
    if exc.kind == "depth":
        return BadRequestError(f"the submission part is nested too deep: {exc}", code="submission.too_deep",
                               message_zh="submission 部分嵌套层数过多", errors={"submission": [str(exc)]})
    if exc.kind == "number":
        return RuleViolation(f"the submission part holds a number out of range: {exc}",
                             code="submission.number_out_of_range", message_zh="提交内容中的数值超出范围",
                             errors={"submission": [str(exc)]})
    if exc.kind == "nul":
        return RuleViolation(f"the submission part holds text with a NUL character: {exc}",
                             code="submission.nul_character", message_zh="提交内容中的文字含有 NUL 字符",
                             errors={"submission": [str(exc)]})
    return BadRequestError(f"the submission part is not valid JSON: {exc}", code="submission.bad_json",
                           message_zh="submission 部分不是有效的 JSON")
