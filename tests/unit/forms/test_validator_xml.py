"""parse_openrosa_xml: safe parsing, the JSON tree shape, and the same issues as the JSON submission."""

from __future__ import annotations

import copy
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest

from server.forms.validator import check_submission
from server.forms.xml_instance import XmlInstanceError, parse_openrosa_xml
from tests.unit.forms.test_validator import clock, codes, form, registration, samples

ORX = "http://openrosa.org/xforms"


def to_xml(tree: dict[str, Any], form_id: str = "person_registration", version: str = "2026112801") -> bytes:
    """Serialise a JSON submission the way ODK Collect writes it (meta in the orx namespace)."""
    (root, body), = tree.items()

    def element(name: str, value: Any) -> str:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return "".join(element(name, v) for v in value)
        if isinstance(value, list) and not value:
            return ""
        tag = f"orx:{name}" if name in ("meta", "instanceID", "instanceName", "deprecatedID") else name
        if isinstance(value, dict):
            attrs = "".join(f" {k[1:]}={quoteattr(str(v))}" for k, v in value.items() if k.startswith("@"))
            inner = "".join(element(k, v) for k, v in value.items() if not k.startswith("@"))
            return f"<{tag}{attrs}>{inner}</{tag}>"
        if isinstance(value, list):
            value = " ".join(map(str, value))
        return f"<{tag}>{escape(str(value))}</{tag}>"

    inner = "".join(element(k, v) for k, v in body.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns:orx="{ORX}" id="{form_id}" '
            f'version="{version}">{inner}</{root}>').encode()


def repeat_paths() -> list[str]:
    return list(form("registration.xlsx").definition["repeats"])


def test_tree_shape_matches_the_json_submission() -> None:
    data, _ = registration()
    data["data"]["meta"]["entity"] = {"@dataset": "persons", "@create": "1", "@id": "uuid:e1", "label": "x"}
    name, attrs, tree = parse_openrosa_xml(to_xml(data), repeat_paths=repeat_paths())
    assert (name, attrs) == ("data", {"id": "person_registration", "version": "2026112801"})
    expected = copy.deepcopy(data)
    family = expected["data"]["family"]
    if not family["children"]:
        del family["children"]  # an empty repeat writes no element
    assert tree == expected


def test_single_repeat_entry_is_still_a_list() -> None:
    xml = b"<data id='f'><family><children><child_name>a</child_name></children></family></data>"
    _, _, tree = parse_openrosa_xml(xml, repeat_paths=["/data/family/children"])
    assert tree == {"data": {"family": {"children": [{"child_name": "a"}]}}}
    _, _, guessed = parse_openrosa_xml(xml)
    assert guessed == {"data": {"family": {"children": {"child_name": "a"}}}}


def test_undeclared_duplicates_become_lists() -> None:
    xml = b"<data><a>1</a><a>2</a><a>3</a><g><x>1</x></g><g><x>2</x></g></data>"
    assert parse_openrosa_xml(xml)[2] == {"data": {"a": ["1", "2", "3"], "g": [{"x": "1"}, {"x": "2"}]}}


@pytest.mark.parametrize("index", range(12))
def test_xml_and_json_give_the_same_issues(index: int) -> None:
    data, files = samples()[index]
    variants = [copy.deepcopy(data) for _ in range(3)]
    variants[1]["data"]["identity"]["id_number"] = "41018419900307123X"
    variants[1]["data"]["work"]["reason_other"] = "不该有"
    variants[2]["data"]["family"]["children_count"] = "9"
    variants[2]["data"]["identity"].pop("sex")
    variants[2]["data"]["residence"]["location"] = "134 113 0 0"
    for variant in variants:
        from_json = check_submission(form("registration.xlsx"), variant, attachments=files, clock=clock)
        _, _, tree = parse_openrosa_xml(to_xml(variant), repeat_paths=repeat_paths())
        from_xml = check_submission(form("registration.xlsx"), tree, attachments=files, clock=clock)
        assert codes(from_xml) == codes(from_json)
        assert [i.message for i in from_xml] == [i.message for i in from_json]
    assert codes(check_submission(form("registration.xlsx"), variants[2], attachments=files, clock=clock))


def test_xml_escapes_survive() -> None:
    data, files = registration()
    data["data"]["work"]["employer"] = "A&B 公司 <总部>"
    _, _, tree = parse_openrosa_xml(to_xml(data), repeat_paths=repeat_paths())
    assert tree["data"]["work"]["employer"] == "A&B 公司 <总部>"


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><data>&b;</data>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><data>&x;</data>',
        b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://example.com/evil.dtd"><data/>',
        b"<data><unclosed></data>",
        b"not xml at all",
        b"",
    ],
)
def test_unsafe_or_malformed_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(XmlInstanceError) as info:
        parse_openrosa_xml(xml)
    assert info.value.status == 400 and info.value.code == "submission.invalid_xml"
