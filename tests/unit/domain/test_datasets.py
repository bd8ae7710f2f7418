"""Dataset declarations: the city's forms/datasets.yaml and the validator's errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.domain import datasets as ds

MINIMAL: dict[str, Any] = {
    "version": 1,
    "datasets": {
        "persons": {
            "label": {"zh": "人员", "en": "Persons"},
            "label_property": "full_name",
            "properties": {
                "full_name": {"type": "text", "label": {"zh": "姓名", "en": "Name"}},
                "resident_id": {"type": "cn_resident_id", "label": {"zh": "身份证", "en": "ID"}},
                "sex": {"type": "select", "list": "sex", "label": {"zh": "性别", "en": "Sex"}},
                "geometry": {"type": "geopoint", "label": {"zh": "位置", "en": "Location"}},
            },
            "identity": {"strong": ["resident_id"], "near": ["full_name"]},
            "merge_requires_approval": True,
            "placement": {"geopoint": "geometry"},
        }
    },
}


def problems_of(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(ds.DatasetDeclarationError) as info:
        ds.parse_datasets(document)
    return info.value.problems


def edited(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(MINIMAL)
    persons = document["datasets"]["persons"]
    for dotted, value in changes.items():
        target = persons
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return document


def test_city_declarations_load() -> None:
    declared = ds.load_datasets()
    assert set(declared) == {"persons", "households", "followups"}
    persons = declared["persons"]
    assert persons.identity.strong == ("resident_id",)
    assert persons.identity.near == ("full_name", "name_pinyin", "birth_date", "origin_county", "phone")
    assert {"resident_id", "phone", "ethnicity"} <= persons.sensitive_properties
    assert "full_name" not in persons.sensitive_properties
    assert persons.properties["resident_id"].type is ds.PropertyType.CN_RESIDENT_ID
    assert persons.properties["ethnicity"].type is ds.PropertyType.ETHNICITY_CODE
    assert persons.properties["origin_county"].type is ds.PropertyType.DIVISION_CODE
    assert persons.properties["needs"].multiple and persons.properties["needs"].list_name == "needs"
    assert persons.properties["name_pinyin"].derive == ds.Derivation("full_name", "pinyin")
    assert persons.merge_requires_approval
    assert persons.placement == ds.Placement(
        geopoint="geometry", level="grid", on_missing="submitter_grid", on_outside="review"
    )
    assert persons.label_property == "full_name"


def test_minimal_document_and_defaults() -> None:
    persons = ds.parse_datasets(MINIMAL)["persons"]
    assert persons.properties["resident_id"].sensitive  # cn_resident_id defaults to sensitive
    assert not persons.properties["sex"].sensitive
    assert persons.placement.on_outside == "review"


def test_unknown_type_is_reported_with_its_path() -> None:
    problems = problems_of(edited(properties__sex__type="telephone"))
    assert problems[0][0] == "datasets.persons.properties.sex.type"
    assert "telephone" in problems[0][1]


def test_all_problems_are_reported_at_once() -> None:
    document = edited(
        properties__sex={"type": "select", "label": {"zh": "性别", "en": "Sex"}},
        identity={"strong": ["id_card"], "near": ["full_name"]},
        placement={"geopoint": "full_name"},
    )
    paths = [path for path, _ in problems_of(document)]
    assert paths == [
        "datasets.persons.properties.sex.list",
        "datasets.persons.identity.strong[0]",
        "datasets.persons.placement.geopoint",
    ]


def test_sensitive_types_cannot_be_declared_non_sensitive() -> None:
    document = edited(properties__resident_id__sensitive=False)
    assert problems_of(document) == [
        ("datasets.persons.properties.resident_id.sensitive", "a cn_resident_id property is always sensitive")
    ]


@pytest.mark.parametrize("name", ["name", "label", "__version", "1st"])
def test_reserved_or_invalid_property_names(name: str) -> None:
    document = copy.deepcopy(MINIMAL)
    document["datasets"]["persons"]["properties"][name] = {"type": "text", "label": {"zh": "x", "en": "x"}}
    assert problems_of(document)[0][0] == f"datasets.persons.properties.{name}"


def test_typos_and_missing_keys() -> None:
    problems = problems_of(edited(merge_requires_aproval=True, merge_requires_approval=None))
    assert (
        "datasets.persons.merge_requires_aproval",
        "unknown key (allowed: identity, label, label_property, merge_requires_approval, "
        "placement, properties)",
    ) in problems
    assert ("datasets.persons.merge_requires_approval", "missing") in problems


def test_wrong_shapes() -> None:
    assert problems_of([]) == [("(document)", "expected a mapping, got list")]
    assert problems_of({"version": 2, "datasets": {}})[0] == ("version", "unsupported version 2 (expected 1)")
    problems = problems_of(edited(properties__sex__multiple="yes"))
    assert problems == [("datasets.persons.properties.sex.multiple", "expected true or false, got 'yes'")]
    problems = problems_of(edited(properties__full_name__list="names"))
    assert problems == [("datasets.persons.properties.full_name.list", "only select properties have a list")]


def test_derive_must_name_a_property() -> None:
    document = edited(
        properties__name_pinyin={
            "type": "text",
            "label": {"zh": "拼音", "en": "Pinyin"},
            "derive": {"from": "nom", "using": "pinyin"},
        }
    )
    assert problems_of(document) == [
        ("datasets.persons.properties.name_pinyin.derive.from", "'nom' is not a declared property")
    ]


def test_load_reports_yaml_syntax_errors(tmp_path: Path) -> None:
    path = tmp_path / "datasets.yaml"
    path.write_text("datasets: [unclosed", encoding="utf-8")
    with pytest.raises(ds.DatasetDeclarationError) as info:
        ds.load_datasets(path)
    assert info.value.problems[0][0] == "(document)"
    path.write_text(yaml.safe_dump(MINIMAL, allow_unicode=True), encoding="utf-8")
    assert set(ds.load_datasets(path)) == {"persons"}


def test_city_followups_follow_their_person() -> None:
    followups = ds.load_datasets()["followups"]
    person = followups.properties["person"]
    assert person.type is ds.PropertyType.ENTITY and person.dataset == "persons" and person.required
    assert followups.placement.follows == "person" and followups.placement.moves_while == (
        "status", ("open", "in_progress"))
    assert followups.placement.geopoint == "" and followups.identity == ds.IdentityKeys((), ())
    assert followups.properties["status"].values == ("open", "in_progress", "resolved", "closed")
    assert not followups.merge_requires_approval


FOLLOWUPS: dict[str, Any] = {
    "label": {"zh": "跟进", "en": "Follow-ups"},
    "label_property": "title",
    "properties": {
        "title": {"type": "text", "label": {"zh": "事项", "en": "Title"}},
        "person": {"type": "entity", "dataset": "persons", "label": {"zh": "人员", "en": "Person"}},
        "status": {"type": "select", "list": "s", "values": ["open", "closed"], "label": {"zh": "状态", "en": "S"}},
    },
    "merge_requires_approval": False,
    "placement": {"follows": "person", "moves_while": {"status": "open"}},
}


def with_followups(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(MINIMAL)
    followups = copy.deepcopy(FOLLOWUPS)
    for dotted, value in changes.items():
        target = followups
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    document["datasets"]["followups"] = followups
    return document


def test_a_dataset_may_follow_another_and_skip_identity() -> None:
    parsed = ds.parse_datasets(with_followups())["followups"]
    assert parsed.placement == ds.Placement(geopoint="", follows="person", moves_while=("status", ("open",)))
    assert parsed.identity == ds.IdentityKeys((), ())


def test_follows_and_entity_properties_are_checked() -> None:
    assert problems_of(with_followups(properties__person__dataset="people")) == [
        ("datasets.followups.properties.person.dataset", "'people' is not a declared dataset")
    ]
    assert problems_of(with_followups(placement={"follows": "title"})) == [
        ("datasets.followups.placement.follows", "'title' is not a declared entity property")
    ]
    assert problems_of(with_followups(placement={"follows": "person", "moves_while": {"status": "done"}})) == [
        ("datasets.followups.placement.moves_while", "'done' is not one of open, closed")
    ]
    both = {"follows": "person", "moves_while": {"status": ["open", "closed"]}}
    listed = ds.parse_datasets(with_followups(placement=both))
    assert listed["followups"].placement.moves_while == ("status", ("open", "closed"))
    assert problems_of(with_followups(placement={"follows": "person", "moves_while": {"status": ["open", "x"]}})) == [
        ("datasets.followups.placement.moves_while", "'x' is not one of open, closed")
    ]
    assert problems_of(with_followups(placement={"follows": "person", "geopoint": "x"})) == [
        ("datasets.followups.placement", "declare either geopoint or follows")
    ]
    assert problems_of(with_followups(properties__title__dataset="persons")) == [
        ("datasets.followups.properties.title.dataset", "only entity properties name a dataset")
    ]
    missing = with_followups()
    del missing["datasets"]["followups"]["properties"]["person"]["dataset"]
    assert problems_of(missing)[0][0] == "datasets.followups.properties.person.dataset"
