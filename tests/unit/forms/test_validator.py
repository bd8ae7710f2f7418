"""check_submission: each issue code on the city's registration form and small purpose-built forms."""

from __future__ import annotations

import copy
import functools
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from server.domain import resident_id
from server.forms.compiled import CompiledForm, iter_fields
from server.forms.compiler import compile_workbook
from server.forms.plan import plan_for
from server.forms.validator import ValidationIssue, check_submission
from tests.support.registrations import make_submission, origin_counties
from tests.unit.forms.fixtures.workbooks import simple_form

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@functools.cache
def form(filename: str) -> CompiledForm:
    return compile_workbook((ROOT / "forms" / filename).read_bytes(), filename)


@functools.cache
def samples(n: int = 40) -> list[tuple[dict[str, Any], set[str]]]:
    rng = random.Random(7)
    counties = origin_counties()
    return [make_submission(rng, counties, i) for i in range(n)]


def registration(i: int = 0) -> tuple[dict[str, Any], set[str]]:
    """A fresh copy of a valid registration and its attachments."""
    data, files = samples()[i]
    return copy.deepcopy(data), set(files)


def check(data: dict[str, Any], files: set[str] | None = None, filename: str = "registration.xlsx",
          **kw: Any) -> list[ValidationIssue]:
    return check_submission(form(filename), data, attachments=files or set(), clock=clock, **kw)


def codes(issues: list[ValidationIssue]) -> set[tuple[str, str]]:
    return {(i.path, i.code) for i in issues}


def small(*rows: dict[str, str], choices: tuple[dict[str, str], ...] = ()) -> CompiledForm:
    return compile_workbook(simple_form(*rows, choices=choices), "small.xlsx")


# --------------------------------------------------------------------------- valid data
def test_generated_registrations_are_valid() -> None:
    for data, files in samples():
        assert check(data, files) == []


def test_root_wrapper_is_optional_and_definition_dicts_work() -> None:
    data, files = registration()
    assert check_submission(form("registration.xlsx").definition, data["data"], attachments=files,
                               clock=clock) == []


def test_plan_is_cached_per_form_version() -> None:
    definition = form("registration.xlsx").definition
    assert plan_for(definition) is plan_for(dict(definition))


# --------------------------------------------------------------------------- codes
def test_required() -> None:
    data, files = registration()
    del data["data"]["identity"]["full_name"]
    data["data"]["meta"]["instanceName"] = "登记-"  # instanceName is calculated from the name
    issues = check(data, files)
    assert codes(issues) == {("/data/identity/full_name", "value.required")}
    assert issues[0].message == "此项必填"
    assert check(data, files, lang="en")[0].message == "This field is required"


def test_required_only_when_relevant() -> None:
    data, files = registration()
    data["data"]["work"]["reason"] = "99"
    data["data"]["work"].pop("reason_other", None)
    assert codes(check(data, files)) == {("/data/work/reason_other", "value.required")}
    data["data"]["work"]["reason"] = "01"
    assert check(data, files) == []


def test_required_in_a_repeat_names_the_instance() -> None:
    data, files = next((copy.deepcopy(d), set(f)) for d, f in samples() if len(d["data"]["family"]["children"]) >= 2)
    del data["data"]["family"]["children"][1]["child_sex"]
    assert codes(check(data, files)) == {("/data/family/children[2]/child_sex", "value.required")}


@pytest.mark.parametrize(
    ("group", "field", "value"),
    [
        ("identity", "birth_date", "1990-02-30"),
        ("residence", "arrival_date", "2025/05/01"),
        ("residence", "location", "95.0 113.74 0 5"),
        ("residence", "location", "34.4"),
        ("residence", "location", "34.4 113.74 0 -3"),
        ("identity", "sex", "1 2"),
    ],
)
def test_type(group: str, field: str, value: str) -> None:
    data, files = registration()
    data["data"][group][field] = value
    assert (f"/data/{group}/{field}", "value.type") in codes(check(data, files))


def test_numeric_types_on_a_small_form() -> None:
    f = small({"type": "integer", "name": "n", "label": "N"}, {"type": "decimal", "name": "d", "label": "D"},
              {"type": "time", "name": "t", "label": "T"}, {"type": "dateTime", "name": "dt", "label": "DT"},
              {"type": "geotrace", "name": "line", "label": "L"}, {"type": "geoshape", "name": "shape", "label": "S"})
    bad = {"n": "4.5", "d": "1,5", "t": "25:00", "dt": "2026-11-28 10:00", "line": "34 113 0 0",
           "shape": "34 113 0 0;34.1 113 0 0;34.1 113.1 0 0;34.2 113.2 0 0"}
    assert {c for _, c in codes(check_submission(f, {"data": bad}))} == {"value.type"}
    assert len(check_submission(f, {"data": bad})) == 6
    good = {"n": "-42", "d": "1.5", "t": "10:30:00.000+08:00", "dt": "2026-11-28T10:00:00.000+08:00",
            "line": "34 113 0 0;34.1 113.1 0 0", "shape": "34 113 0 0;34.1 113 0 0;34.1 113.1 0 0;34 113 0 0"}
    assert check_submission(f, {"data": good}) == []
    native = {"n": -42, "d": 1.5, "t": "10:30:00", "dt": "2026-11-28T10:00:00Z",
              "line": "34 113 0 0;34.1 113.1 0 0", "shape": good["shape"]}
    assert check_submission(f, {"data": native}) == []
    assert codes(check_submission(f, {"data": {"n": 4.5, "d": True}})) == {("/data/n", "value.type"),
                                                                          ("/data/d", "value.type")}


@pytest.mark.parametrize("hhmm", ["00:30", "07:59", "08:01"])
def test_date_constraints_hold_at_every_hour_of_a_shanghai_morning(hhmm: str) -> None:
    f = small({"type": "date", "name": "d", "label": "D", "constraint": ". <= now()"},
              {"type": "dateTime", "name": "seen", "label": "Seen", "constraint": ". >= today()"},
              {"type": "calculate", "name": "same_day", "calculation": "if(now() >= today(), 'yes', 'no')"})
    now = datetime.fromisoformat(f"2026-11-28T{hhmm}:00+08:00")
    data = {"data": {"d": "2026-11-28", "seen": "2026-11-28T00:10:00.000+08:00", "same_day": "yes"}}
    assert check_submission(f, data, clock=lambda: now) == []
    data["data"]["d"] = "2026-11-29"
    assert codes(check_submission(f, data, clock=lambda: now)) == {("/data/d", "value.constraint")}


def test_time_offsets_of_a_day_or_more_are_not_times() -> None:
    f = small({"type": "time", "name": "t", "label": "T", "constraint": "decimal-time(.) < 0.9"},
              {"type": "dateTime", "name": "dt", "label": "DT", "constraint": ". <= now()"})
    bad = {"t": "10:00:00.000+25:00", "dt": "2026-11-28T10:00:00.000+08:60"}
    assert codes(check_submission(f, {"data": bad}, clock=clock)) == {("/data/t", "value.type"),
                                                                        ("/data/dt", "value.type")}


def test_constraint_uses_the_forms_message_and_skips_empty_values() -> None:
    data, files = registration()
    data["data"]["identity"]["phone"] = "12345"
    issues = check(data, files)
    assert codes(issues) == {("/data/identity/phone", "value.constraint")}
    assert issues[0].message.startswith("请输入11位手机号")
    assert check(data, files, lang="en")[0].message.startswith("Enter an 11-digit")
    data["data"]["identity"]["phone"] = ""
    assert check(data, files) == []


def test_not_relevant() -> None:
    data, files = registration()
    data["data"]["work"]["reason"] = "01"
    data["data"]["work"]["reason_other"] = "should be empty"
    assert codes(check(data, files)) == {("/data/work/reason_other", "value.not_relevant")}


def test_fields_of_a_non_relevant_group_must_be_empty() -> None:
    f = small({"type": "integer", "name": "age", "label": "Age"},
              {"type": "begin_group", "name": "adult", "label": "Adult", "relevant": "${age} >= 18"},
              {"type": "text", "name": "job", "label": "Job", "required": "yes"},
              {"type": "end_group", "name": "adult"})
    assert codes(check_submission(f, {"data": {"age": "12", "adult": {"job": "x"}}})) == {
        ("/data/adult/job", "value.not_relevant")}
    assert check_submission(f, {"data": {"age": "12", "adult": {"job": ""}}}) == []
    assert codes(check_submission(f, {"data": {"age": "30"}})) == {("/data/adult/job", "value.required")}


def test_calculation_mismatch_with_numeric_tolerance() -> None:
    data, files = registration()
    n = len(data["data"]["family"]["children"])
    data["data"]["family"]["children_count"] = str(n + 1)
    assert codes(check(data, files)) == {("/data/family/children_count", "value.calculation_mismatch")}
    data["data"]["family"]["children_count"] = f"{n}.0"
    assert check(data, files) == []
    data["data"]["family"]["children_count"] = n
    assert check(data, files) == []


def test_volatile_calculations_are_not_compared() -> None:
    f = small({"type": "text", "name": "a", "label": "A"},
              {"type": "calculate", "name": "stamp", "calculation": "now()"},
              {"type": "calculate", "name": "tag", "calculation": "concat(${stamp}, ${a})"},
              {"type": "calculate", "name": "twice", "calculation": "concat(${a}, ${a})"})
    data = {"data": {"a": "x", "stamp": "2026-01-01T00:00:00", "tag": "anything", "twice": "xx"}}
    assert check_submission(f, data) == []
    data["data"]["twice"] = "x"
    assert codes(check_submission(f, data)) == {("/data/twice", "value.calculation_mismatch")}


def test_volatile_calculations_are_told_apart_by_path_not_name() -> None:
    f = small({"type": "begin_group", "name": "g1", "label": "G1"}, {"type": "note", "name": "n", "label": "N"},
              {"type": "calculate", "name": "stamp", "calculation": "now()"},
              {"type": "end_group"},
              {"type": "begin_group", "name": "g2", "label": "G2"}, {"type": "note", "name": "n", "label": "N"},
              {"type": "calculate", "name": "stamp", "calculation": "1 + 1"},
              {"type": "end_group"})
    data = {"data": {"g1": {"stamp": "2026-01-01T00:00:00"}, "g2": {"stamp": "2"}}}
    assert check_submission(f, data) == []
    data["data"]["g2"]["stamp"] = "3"
    assert codes(check_submission(f, data)) == {("/data/g2/stamp", "value.calculation_mismatch")}


def test_a_select_name_used_in_two_groups_names_no_choice_list() -> None:
    f = small({"type": "begin_group", "name": "g1", "label": "G1"},
              {"type": "select_one warm", "name": "color", "label": "C"}, {"type": "end_group"},
              {"type": "begin_group", "name": "g2", "label": "G2"},
              {"type": "select_one cold", "name": "color", "label": "C"}, {"type": "end_group"},
              {"type": "select_one cold", "name": "other", "label": "O"},
              choices=({"list_name": "warm", "name": "red", "label": "Red"},
                       {"list_name": "cold", "name": "blue", "label": "Blue"}))
    assert plan_for(f.definition).field_lists == {"other": "cold"}
    data = {"data": {"g1": {"color": "red"}, "g2": {"color": "blue"}, "other": "blue"}}
    assert check_submission(f, data) == []
    data["data"]["g2"]["color"] = "red"
    assert codes(check_submission(f, data)) == {("/data/g2/color", "value.choice_unknown")}


def test_rules_reading_the_last_saved_submission_are_left_to_the_device() -> None:
    f = small({"type": "integer", "name": "n", "label": "N", "constraint": ". = ${last-saved#n}",
               "required": "${last-saved#n} = ''"},
              {"type": "text", "name": "t", "label": "T", "relevant": "${last-saved#n} > 1"},
              {"type": "calculate", "name": "c", "calculation": "${last-saved#n} + 1"})
    assert check_submission(f, {"data": {"t": "x", "c": "7"}}) == []
    assert codes(check_submission(f, {"data": {"n": "x"}})) == {("/data/n", "value.type")}


def test_select_from_answers_of_a_repeat_inside_a_repeat() -> None:
    f = small({"type": "begin_repeat", "name": "household", "label": "H"},
              {"type": "begin_repeat", "name": "member", "label": "M"},
              {"type": "text", "name": "who", "label": "W"},
              {"type": "integer", "name": "age", "label": "A"},
              {"type": "end_repeat"},
              {"type": "select_one ${who}", "name": "head", "label": "Head"},
              {"type": "select_one ${who}", "name": "adult", "label": "Adult", "choice_filter": "${age} > 18"},
              {"type": "end_repeat"})
    assert [x for x in iter_fields(f.definition["fields"]) if x["name"] == "head"][0]["choices_from"] == (
        "/data/household/member/who")
    households = [{"member": [{"who": "a", "age": "40"}, {"who": "b", "age": "9"}], "head": "a", "adult": "a"},
                  {"member": [{"who": "c", "age": "30"}], "head": "c", "adult": "c"}]
    assert check_submission(f, {"data": {"household": households}}) == []
    households[1]["head"], households[0]["adult"] = "a", "b"
    assert codes(check_submission(f, {"data": {"household": households}})) == {
        ("/data/household[2]/head", "value.choice_unknown"), ("/data/household[1]/adult", "value.choice_filtered")}


def test_choice_unknown() -> None:
    data, files = registration()
    data["data"]["identity"]["ethnicity"] = "99"
    data["data"]["needs_group"]["needs"] = "employment flying"
    assert codes(check(data, files)) == {("/data/identity/ethnicity", "value.choice_unknown"),
                                         ("/data/needs_group/needs", "value.choice_unknown")}


def test_choice_filtered_in_the_division_cascade() -> None:
    data, files = registration()
    origin = data["data"]["origin"]
    other = next(d for d, _ in samples() if d["data"]["origin"]["origin_prefecture"] != origin["origin_prefecture"])
    origin["origin_county"] = origin["origin_division"] = other["data"]["origin"]["origin_county"]
    assert codes(check(data, files)) == {("/data/origin/origin_county", "value.choice_filtered")}


def test_general_choice_filter() -> None:
    choices = tuple({"list_name": "fruit", "name": n, "label": n, "colour": c}
                    for n, c in (("apple", "red"), ("banana", "yellow"), ("cherry", "red")))
    f = small({"type": "select_one colour", "name": "colour", "label": "Colour"},
              {"type": "select_multiple fruit", "name": "fruit", "label": "Fruit",
               "choice_filter": "colour = ${colour} or starts-with(name, 'b')"},
              choices=(*choices, {"list_name": "colour", "name": "red", "label": "Red"},
                       {"list_name": "colour", "name": "yellow", "label": "Yellow"}))
    assert check_submission(f, {"data": {"colour": "red", "fruit": "apple banana cherry"}}) == []
    issues = check_submission(f, {"data": {"colour": "yellow", "fruit": "apple banana"}})
    assert codes(issues) == {("/data/fruit", "value.choice_filtered")}
    assert "apple" in issues[0].message and "banana" not in issues[0].message


def test_attachment_missing() -> None:
    data, _ = registration()
    assert codes(check(data, set())) == {("/data/identity/photo", "value.attachment_missing")}


def test_repeat_count() -> None:
    entry = {"parties": "甲、乙", "party_count": "2", "involves_minority": "yes", "dispute_type": "labour",
             "description": "欠薪", "risk_level": "low", "dispute_status": "resolved"}
    data = {"data": {"month": "2026-11-01", "households_checked": "30", "minority_persons_checked": "12",
                     "disputes_found": "2", "disputes_resolved": "1", "risks_reported": "0",
                     "disputes": [entry], "resolved_rows": "1", "meta": {"instanceID": "uuid:x"}}}
    issues = check(data, filename="dispute_screening.xlsx")
    assert codes(issues) == {("/data/disputes", "value.repeat_count")}
    data["data"]["disputes"] = [entry, {**entry, "dispute_status": "mediating"}]
    assert check(data, filename="dispute_screening.xlsx") == []


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda n: n[:17] + ("0" if n[17] != "0" else "1"), "value.resident_id.checksum"),
        (lambda n: n[:10] + "1399" + n[14:17] + resident_id.check_char(n[:10] + "1399" + n[14:17]),
         "value.resident_id.date"),
        (lambda n: "99" + n[2:17] + resident_id.check_char("99" + n[2:17]), "value.resident_id.province"),
        (lambda n: n[:16], "value.resident_id.length"),
    ],
)
def test_resident_id(mutate: Any, code: str) -> None:
    data, files = registration()
    identity = data["data"]["identity"]
    identity["id_number"] = mutate(identity["id_number"])
    found = codes(check(data, files))
    assert ("/data/identity/id_number", code) in found
    en = [i for i in check(data, files, lang="en") if i.code == code]
    assert en and en[0].message[0].isascii()


def test_unknown_field_but_not_meta_or_attributes() -> None:
    data, files = registration()
    data["data"]["identity"]["nickname"] = "x"
    data["data"]["surprise"] = {"a": "1"}
    data["data"]["meta"]["deprecatedID"] = "uuid:old"
    data["data"]["meta"]["entity"] = {"@dataset": "persons", "@id": "uuid:e", "label": "x"}
    data["data"]["@xmlns"] = "http://opendatakit.org/submissions"
    assert codes(check(data, files)) == {("/data/identity/nickname", "value.unknown_field"),
                                         ("/data/surprise", "value.unknown_field")}


def test_native_json_values_validate_like_xml_strings() -> None:
    f = small({"type": "integer", "name": "n", "label": "N", "constraint": ". > 3"},
              {"type": "decimal", "name": "d", "label": "D"},
              {"type": "select_multiple abc", "name": "m", "label": "M"},
              {"type": "calculate", "name": "sum", "calculation": "${n} + ${d}"},
              choices=tuple({"list_name": "abc", "name": x, "label": x} for x in "abc"))
    as_text = {"data": {"n": "2", "d": "0.5", "m": "a z", "sum": "3"}}
    native = {"data": {"n": 2, "d": 0.5, "m": ["a", "z"], "sum": 3}}
    assert codes(check_submission(f, as_text)) == codes(check_submission(f, native)) == {
        ("/data/n", "value.constraint"), ("/data/m", "value.choice_unknown"),
        ("/data/sum", "value.calculation_mismatch")}


def test_wrong_shapes_are_type_issues() -> None:
    data, files = registration()
    data["data"]["identity"]["full_name"] = {"nested": "x"}
    data["data"]["family"]["children"] = "none"
    data["data"]["origin"] = "somewhere"
    found = codes(check(data, files))
    assert {("/data/identity/full_name", "value.type"), ("/data/family/children", "value.type"),
            ("/data/origin", "value.type")} <= found


def test_repeat_given_as_a_single_dict_counts_as_one_entry() -> None:
    data, files = next((copy.deepcopy(d), set(f)) for d, f in samples() if len(d["data"]["family"]["children"]) == 1)
    data["data"]["family"]["children"] = data["data"]["family"]["children"][0]
    assert check(data, files) == []


def test_a_changed_definition_with_the_same_version_gets_a_fresh_plan() -> None:
    first = small({"type": "integer", "name": "n", "label": "N", "constraint": ". < 10"})
    changed = compile_workbook(simple_form({"type": "integer", "name": "n", "label": "N", "constraint": ". < 5"},
                                           version=first.version), "small.xlsx")
    assert (first.form_id, first.version) == (changed.form_id, changed.version)
    assert first.definition["digest"] != changed.definition["digest"]
    data = {"data": {"n": "7"}}
    assert check_submission(first, data) == []
    assert codes(check_submission(changed, data)) == {("/data/n", "value.constraint")}
