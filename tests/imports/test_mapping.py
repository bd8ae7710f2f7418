"""Column mappings and the header check (no database)."""

from __future__ import annotations

import pytest

from server.domain.datasets import load_datasets
from server.errors import RuleViolation
from server.imports.mapping import parse_mapping, plan_columns

PERSONS = load_datasets()["persons"]  # the city's declaration file


def _refused(headers: list[str], mapping: str | None = None) -> tuple[str, dict]:
    with pytest.raises(RuleViolation) as caught:
        plan_columns(PERSONS, headers, parse_mapping(mapping))
    return caught.value.code, caught.value.errors


def test_property_names_need_no_mapping():
    plan = plan_columns(PERSONS, ["full_name", "resident_id", "", "grid"], parse_mapping(None))
    assert [(i, t) for i, _, t in plan.targets] == [(0, "full_name"), (1, "resident_id"), (3, "grid")]
    assert plan.width == 4


def test_a_flat_mapping_and_ignored_columns():
    mapping = parse_mapping("姓名: full_name\n经度: lon\n纬度: lat\nignore: [备注]\n")
    plan = plan_columns(PERSONS, ["姓名", "经度", "纬度", "备注"], mapping)
    assert plan.targets == ((0, "姓名", "full_name"), (1, "经度", "lon"), (2, "纬度", "lat"))


def test_unknown_missing_and_duplicate_columns_are_named():
    assert _refused(["full_name", "grid", "备注", "身高"]) == ("import.unknown_columns", {"columns": ["备注", "身高"]})
    assert _refused(["resident_id", "grid"]) == ("import.missing_columns", {"columns": ["full_name"]})
    assert _refused(["full_name"]) == ("import.missing_columns", {"columns": ["grid | lon+lat"]})
    assert _refused(["full_name", "lon"]) == ("import.missing_columns", {"columns": ["lat"]})
    assert _refused(["full_name", "grid", "grid"]) == ("import.duplicate_columns", {"columns": ["grid"]})
    assert _refused(["full_name", "grid"], "columns: {姓名: full_name}") == (
        "import.missing_columns", {"columns": ["姓名"]})


def test_a_mapping_to_what_cannot_be_imported_is_refused():
    assert _refused(["名", "grid"], "名: name_pinyin") == ("import.bad_mapping", {"mapping": ["名 → name_pinyin"]})
    assert _refused(["名", "姓名", "grid"], "名: full_name\n姓名: full_name") == (
        "import.bad_mapping", {"mapping": ["full_name"]})
    assert _refused(["full_name"], "[a, b]")[0] == "import.bad_mapping"
    assert _refused(["full_name"], "columns: {a: [")[0] == "import.bad_mapping"
