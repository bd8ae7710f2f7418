"""The JSON submission part: the plain check returns what the schema returns, and leaves the rest to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from marshmallow import ValidationError

from server.errors import RuleViolation
from server.submissions.part import SubmissionCreateSchema, _plain_part, load_submission_part

IID = "uuid:0b8f7a2e-3c1d-4e5f-8a9b-0c1d2e3f4a5b"
BASE: dict[str, Any] = {"instance_id": IID, "form_version": "2026112801", "data": {"a": {"b": [1, "x"]}}}

# Parts the plain check vouches for: it must give exactly the schema's result.
CLEAR = [
    BASE,
    {**BASE, "meta": {}},
    {**BASE, "deprecated_id": None, "meta": {"device_id": None}},
    {**BASE, "deprecated_id": "uuid:1b8f7a2e-3c1d-4e5f-8a9b-0c1d2e3f4a5b", "extra": 1},
    {**BASE, "deprecated_id": ""},
    {**BASE, "meta": {"device_id": "", "unknown": [1]}},
    {**BASE, "meta": {"device_id": "d" * 128, "start": "2026-11-28T09:00:00+08:00", "end": "2026-11-28T01:10:00Z"}},
    {**BASE, "meta": {"start": "2026-11-28T09:00:00.123456-03:30", "end": None, "location": None}},
    {**BASE, "meta": {"location": {"lon": 113, "lat": 34.4}}},
    {**BASE, "meta": {"location": {"lon": -180, "lat": 90, "altitude": -3.5, "accuracy": 0, "speed": 4}}},
    {**BASE, "meta": {"location": {"lon": 180.0, "lat": -90.0, "altitude": None, "accuracy": 12.25}}},
    {**BASE, "instance_id": "x" * 64, "form_version": "v" * 100},
]

# Parts it leaves to the schema: valid ones the schema coerces, and every kind of invalid one.
UNCLEAR = [
    {"form_version": "1", "data": {}},
    {**BASE, "instance_id": ""},
    {**BASE, "instance_id": "x" * 65},
    {**BASE, "instance_id": 5},
    {**BASE, "form_version": "v" * 101},
    {**BASE, "form_version": None},
    {**BASE, "data": None},
    {**BASE, "data": [1]},
    {**BASE, "deprecated_id": "x" * 65},
    {**BASE, "deprecated_id": 7},
    {**BASE, "meta": None},
    {**BASE, "meta": "x"},
    {**BASE, "meta": {"device_id": "d" * 129}},
    {**BASE, "meta": {"device_id": 12}},
    {**BASE, "meta": {"start": "2026-11-28T09:00:00"}},
    {**BASE, "meta": {"start": "yesterday"}},
    {**BASE, "meta": {"end": 1764300000}},
    {**BASE, "meta": {"location": {"lon": "113.7", "lat": "34.4"}}},
    {**BASE, "meta": {"location": {"lon": True, "lat": 34.4}}},
    {**BASE, "meta": {"location": {"lon": 180.5, "lat": 34.4}}},
    {**BASE, "meta": {"location": {"lon": 113, "lat": -90.01}}},
    {**BASE, "meta": {"location": {"lon": 113, "lat": 34, "accuracy": -1}}},
    {**BASE, "meta": {"location": {"lon": 113, "lat": 34, "altitude": "high"}}},
    {**BASE, "meta": {"location": {"lat": 34}}},
    {**BASE, "meta": {"location": [113, 34]}},
]


def _schema(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": SubmissionCreateSchema().load(payload)}
    except ValidationError as exc:
        return {"errors": exc.messages}


@pytest.mark.parametrize("payload", CLEAR)
def test_the_plain_check_returns_what_the_schema_returns(payload):
    plain = _plain_part(payload)
    assert plain is not None
    assert plain == _schema(payload)["ok"]
    assert [type(v) for v in plain["meta"].get("location", {}).values()] == \
        [type(v) for v in _schema(payload)["ok"]["meta"].get("location", {}).values()]


@pytest.mark.parametrize("payload", UNCLEAR)
def test_what_the_plain_check_cannot_vouch_for_goes_to_the_schema(payload):
    assert _plain_part(payload) is None
    expected = _schema(payload)
    raw = json.dumps(payload).encode()
    if "ok" in expected:
        loaded = load_submission_part(raw)
        assert (loaded.instance_id, loaded.meta) == (expected["ok"]["instance_id"], expected["ok"]["meta"])
    else:
        with pytest.raises(RuleViolation) as info:
            load_submission_part(raw)
        assert info.value.code == "submission.invalid"
        assert info.value.errors == expected["errors"]


def test_a_clear_part_keeps_its_raw_bytes():
    raw = json.dumps({**BASE, "meta": {"device_id": "phone-7"}}, ensure_ascii=False).encode()
    loaded = load_submission_part(raw)
    assert loaded.raw is raw and loaded.meta == {"device_id": "phone-7"} and loaded.deprecated_id is None
