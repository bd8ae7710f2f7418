"""forms/departments.yaml: departments, case kinds and purposes, checked against the datasets."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from server.domain import departments as dep
from server.domain.datasets import load_datasets

DATASETS = load_datasets()
DOCUMENT: dict[str, Any] = yaml.safe_load(dep.DEFAULT_PATH.read_text(encoding="utf-8"))


def problems_of(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(dep.DutiesDeclarationError) as info:
        dep.parse_duties(document, DATASETS)
    return info.value.problems


def changed(**purposes: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    document["purposes"].update(purposes)
    return document


def test_the_city_declaration_loads() -> None:
    duties = dep.load_duties()
    assert {"police", "education", "health", "hrss", "civil", "justice", "housing", "market"} <= set(duties.departments)
    assert duties.departments["hrss"].label_zh == "人力资源和社会保障局"
    assert {k: v.due_days for k, v in duties.case_kinds.items()} == {"appeal": 15, "dispute": 30, "relief": 3,
                                                                    "need": 20}
    police = duties.purposes["police"]
    assert "resident_id" in police.properties("persons") and "occupation" not in police.properties("persons")
    assert police.properties("households") == frozenset(DATASETS["households"].properties)
    hrss = duties.purposes["hrss"]
    assert {"occupation", "employer"} <= hrss.properties("persons") and hrss.properties("households") is None
    assert "resident_id" not in hrss.properties("persons") and "ethnicity" not in hrss.properties("persons")


def test_case_conditions_name_the_department_itself() -> None:
    duties = dep.load_duties()
    hrss, civil = duties.purposes["hrss"], duties.purposes["civil"]
    assert hrss.reads_case({"department": "hrss", "kind": "appeal"})
    assert hrss.reads_case({"department": "justice", "kind": "dispute", "dispute_type": "labour"})
    assert not hrss.reads_case({"department": "police", "kind": "appeal"})
    assert civil.reads_case({"department": "housing", "kind": "relief"})
    assert not civil.reads_case({"department": "hrss", "kind": "need"})


def test_unknown_names_are_reported_with_their_place() -> None:
    assert problems_of(changed(police={"datasets": {"people": "all"}})) == [
        ("purposes.police.datasets.people", "not a declared dataset")]
    assert problems_of(changed(police={"datasets": {"persons": ["full_name", "shoe_size"]}})) == [
        ("purposes.police.datasets.persons", "not declared properties: shoe_size")]
    assert problems_of(changed(weather={"datasets": {"persons": ["full_name"]}})) == [
        ("purposes.weather", "not a declared department")]
    assert problems_of(changed(police={"datasets": {"persons": ["full_name"]}, "cases": [{"colour": "red"}]})) == [
        ("purposes.police.cases[0].colour", "not a property of followups"),
        ("purposes.police.cases", "the purpose reads cases but not the followups dataset"),
    ]
    document = copy.deepcopy(DOCUMENT)
    document["case_kinds"]["gossip"] = {"zh": "闲话", "en": "Gossip", "due_days": 0}
    assert problems_of(document) == [
        ("case_kinds.gossip.due_days", "expected a whole number of days ≥ 1"),
        ("case_kinds", "must be the followups kinds: appeal, dispute, need, relief"),
    ]
    assert problems_of({"version": 2}) == [("(document)", "expected a mapping with version: 1")]
