"""One row's checks and its content key (no database)."""

from __future__ import annotations

import datetime as dt

from server.domain.datasets import load_datasets
from server.imports.checks import check_row, parse_date
from server.imports.mapping import parse_mapping, plan_columns
from tests.imports.support import id_number

PERSONS = load_datasets()["persons"]  # the city's declaration file
TODAY = dt.date(2026, 12, 7)
HEADER = ["full_name", "resident_id", "birth_date", "children_count", "residence_status", "phone", "lon", "lat"]
PLAN = plan_columns(PERSONS, HEADER, parse_mapping(None))


def test_dates_in_the_shapes_platforms_export():
    assert [parse_date(t) for t in ("2026-03-01", "2026/3/1", "2026.3.1", "2026年3月1日", "20260301",
                                    "2026-03-01 08:00:00", "2026-02-30", "March")] == [
        "2026-03-01"] * 6 + [None, None]


def test_a_good_row_is_canonical_and_its_key_ignores_spelling():
    a = check_row(PERSONS, PLAN, ["马小红", id_number(1).lower(), "1985/6/12", "2", "resident", "+86 138 1234 5678",
                                  "113.74", "34.4"], TODAY)
    b = check_row(PERSONS, PLAN, ["马小红 ", id_number(1), "1985-06-12", "2.0", "resident", "13812345678",
                                  "113.740", "34.40"], TODAY)
    assert a.problems == [] and a.props["birth_date"] == "1985-06-12" and a.props["children_count"] == 2
    assert a.point == (113.74, 34.4)
    assert a.content_key() == b.content_key()


def test_each_bad_cell_is_named_with_its_column():
    bad = check_row(PERSONS, PLAN, ["", id_number(1)[:17] + "0", "1985-02-30", "-1", "away", "12", "200", "x",
                                    "stray"], TODAY)
    assert [(p["column"], p["code"]) for p in bad.problems] == [
        ("", "row.extra_cells"), ("full_name", "row.missing_value"), ("resident_id", "row.bad_resident_id"),
        ("birth_date", "row.bad_date"), ("children_count", "row.bad_integer"), ("residence_status", "row.bad_choice"),
        ("phone", "row.bad_phone"), ("lon", "row.bad_location")]


def test_an_id_number_born_after_today_is_refused():
    future = check_row(PERSONS, PLAN, ["马小红", id_number(1, born="20270101"), "", "", "", "", "", ""], TODAY)
    assert [p["code"] for p in future.problems] == ["row.bad_resident_id"]


def test_a_blank_row_is_one_problem_not_one_per_column():
    assert [p["code"] for p in check_row(PERSONS, PLAN, [], TODAY).problems] == ["row.blank"]
    assert [p["code"] for p in check_row(PERSONS, PLAN, [" ", ""], TODAY).problems] == ["row.blank"]
