"""Pure intake rules: reading the compiled definition and the data tree (no database)."""

from __future__ import annotations

import pytest

from server.errors import BadRequestError
from server.submissions import rules

DEFINITION = {
    "root": "data",
    "settings": {},
    "fields": [
        {"name": "g", "path": "/data/g", "type": "group", "parameters": {}, "children": [
            {"name": "photo", "path": "/data/g/photo", "type": "image", "parameters": {}},
            {"name": "where", "path": "/data/g/where", "type": "geopoint", "parameters": {"warning-accuracy": "20"}},
        ]},
        {"name": "kids", "path": "/data/kids", "type": "repeat", "parameters": {}, "children": [
            {"name": "doc", "path": "/data/kids/doc", "type": "file", "parameters": {}},
        ]},
    ],
}


def test_referenced_files_follow_groups_and_repeats():
    data = {"g": {"photo": "a.jpg"}, "kids": [{"doc": "b.pdf"}, {"doc": ""}, {"doc": "c.pdf"}]}
    refs = rules.referenced_files(DEFINITION, data)
    assert {n: (r.field, r.kind) for n, r in refs.items()} == {
        "a.jpg": ("/data/g/photo", "image"), "b.pdf": ("/data/kids/doc", "file"), "c.pdf": ("/data/kids/doc", "file")}
    assert rules.referenced_files(DEFINITION, {"data": data}).keys() == refs.keys()  # wrapped in the root


@pytest.mark.parametrize("value, expected", [
    ("34.4 113.74 12 5", (113.74, 34.4, 12.0, 5.0)),
    ("34.4 113.74", (113.74, 34.4, None, None)),
    ({"lat": 34.4, "lon": 113.74, "accuracy": 3}, (113.74, 34.4, None, 3.0)),
    ("91 0 0 0", None), ("x y", None), ("", None), (None, None), ("34.4 nan 0 0", None),
])
def test_parse_geopoint(value, expected):
    found = rules.parse_geopoint(value)
    assert (None if found is None else (found.lon, found.lat, found.altitude_m, found.accuracy_m)) == expected


def test_location_prefers_the_form_answer_then_meta():
    answer = rules.find_location(DEFINITION, {"g": {"where": "1 2 0 4"}}, {"location": {"lon": 5, "lat": 6}})
    assert (answer.lon, answer.lat, answer.field) == (2, 1, "/data/g/where")
    device = rules.find_location(DEFINITION, {"g": {}}, {"location": {"lon": 5, "lat": 6}})
    assert (device.lon, device.lat, device.field) == (5, 6, None)
    assert rules.find_location(DEFINITION, {}, {}) is None


def test_warning_accuracy_from_question_settings_or_default():
    assert rules.warning_accuracy(DEFINITION, "/data/g/where") == 20
    assert rules.warning_accuracy(DEFINITION, None) == 20
    bare = {"root": "data", "fields": [], "settings": {"warning_accuracy": "15"}}
    assert rules.warning_accuracy(bare, None) == 15
    assert rules.warning_accuracy({"fields": []}, None) == rules.DEFAULT_WARNING_ACCURACY_M == 50


def test_instance_ids_are_normalised_uuids():
    uid = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    assert rules.normalize_instance_id(uid) == rules.normalize_instance_id(f"uuid:{uid.lower()}")
    assert rules.normalize_instance_id(uid).startswith("uuid:6f9619ff")
    for bad in ("", "uuid:", "12345", "../x", "{" + uid + "}"):
        with pytest.raises(BadRequestError):
            rules.normalize_instance_id(bad)


def test_content_digest():
    assert rules.content_digest("json", b"ignored", "1", {"a": 1, "b": [1, 2]}) == \
        rules.content_digest("json", b"other bytes", "1", {"b": [1, 2], "a": 1})
    assert rules.content_digest("json", b"", "1", {"a": 1}) != rules.content_digest("json", b"", "2", {"a": 1})
    assert rules.content_digest("json", b"", "1", {"a": 1}) != rules.content_digest("json", b"", "1", {"a": "1"})
    assert rules.content_digest("xml", b"<a/>", "1", {}) != rules.content_digest("xml", b"<a />", "1", {})


IID = "uuid:0b8e3f0e-6d1c-4a3e-9c51-2f1f4b6a7c10"
OTHER = "uuid:5d2c1a9e-0f3b-4c7d-8e6a-1b2c3d4e5f60"


@pytest.mark.parametrize("data", [
    {"g": {}},  # no meta block: nothing to agree with
    {"g": {}, "meta": {"instanceID": IID}},
    {"data": {"meta": {"instanceID": IID.upper()}}},  # OpenRosa's shape: wrapped in the root
    {"g": {}, "meta": {"instanceID": IID[5:], "instanceName": "x"}},
    {"g": {}, "meta": {"instanceID": ""}},
])
def test_meta_ids_that_agree_or_are_absent_pass(data):
    rules.check_meta_ids(DEFINITION, data, IID, None)


@pytest.mark.parametrize("data, deprecated, code", [
    ({"meta": {"instanceID": OTHER}}, None, "submission.instance_id_mismatch"),
    ({"data": {"meta": {"instanceID": "nonsense"}}}, None, "submission.instance_id_mismatch"),
    ({"meta": {"instanceID": IID, "deprecatedID": OTHER}}, None, "submission.deprecated_id_mismatch"),
    ({"meta": {"deprecatedID": IID}}, OTHER, "submission.deprecated_id_mismatch"),
])
def test_meta_ids_naming_another_submission_are_refused(data, deprecated, code):
    with pytest.raises(rules.RuleViolation) as info:
        rules.check_meta_ids(DEFINITION, data, IID, deprecated)
    assert info.value.status == 422 and info.value.code == code


def test_control_characters_in_file_names_are_refused_at_their_question():
    with pytest.raises(rules.RuleViolation) as info:
        rules.referenced_files(DEFINITION, {"kids": [{"doc": "ok.pdf"}, {"doc": "b\x00.pdf"}]})
    assert info.value.code == "submission.bad_attachment_name"
    assert list(info.value.errors) == ["/data/kids/doc"]
