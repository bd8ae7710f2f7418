"""``gridreg eval``: single expressions, errors, --form/--data/--context and --batch."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from server.forms.eval_cli import eval_command, json_value, load_form
from server.forms.expr import NodeSet

NOW = "2026-11-28T10:30:00+08:00"


def run(*args: str, stdin: str | None = None) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(eval_command, list(args), input=stdin)
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return result.exit_code, lines


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    rows = [
        ("type", "name", "label"),
        ("text", "name", "Name"),
        ("integer", "age", "Age"),
        ("select_one colors", "color", "Colour"),
        ("begin_repeat", "children", "Children"),
        ("text", "child_name", "Child name"),
        ("integer", "child_age", "Child age"),
        ("end_repeat", "", ""),
    ]
    for row in rows:
        survey.append(row)
    choices = wb.create_sheet("choices")
    for row in [("list_name", "name", "label"), ("colors", "r", "Red"), ("colors", "g", "Green")]:
        choices.append(row)
    settings = wb.create_sheet("settings")
    settings.append(("form_id", "form_title"))
    settings.append(("kids", "Kids"))
    path = tmp_path / "kids.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    data = {"data": {"name": "Ali", "age": "34", "color": "g",
                     "children": [{"child_name": "Amy", "child_age": "3"}, {"child_name": "Bob", "child_age": "5"}]}}
    path = tmp_path / "sub.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_single_expression_prints_value_and_type() -> None:
    assert run("1 + 2") == (0, [{"value": 3, "type": "number"}])
    assert run("concat('a', 'b')") == (0, [{"value": "ab", "type": "string"}])
    assert run("1 < 2") == (0, [{"value": True, "type": "boolean"}])
    assert run("0.5 * 3") == (0, [{"value": 1.5, "type": "number"}])


def test_nan_and_infinity_print_as_strings() -> None:
    assert run("number('')") == (0, [{"value": "NaN", "type": "number"}])
    assert run("-1 div 0") == (0, [{"value": "-Infinity", "type": "number"}])


def test_errors_print_json_and_exit_1() -> None:
    code, lines = run("concat(1,")
    assert code == 1
    assert lines[0]["kind"] == "syntax" and lines[0]["position"] == 9 and "error" in lines[0]
    code, lines = run("nosuch()")
    assert code == 1 and lines[0]["kind"] == "unknown_function"
    code, lines = run()
    assert code == 1 and "error" in lines[0]


def test_now_and_tz_options() -> None:
    assert run("today()", "--now", NOW, "--tz", "UTC") == (0, [{"value": "2026-11-28", "type": "string"}])
    assert run("now()", "--now", NOW) == (0, [{"value": "2026-11-28T10:30:00.000+08:00", "type": "string"}])


def test_form_data_and_context(workbook: Path, submission: Path) -> None:
    base = ("--form", str(workbook), "--data", str(submission))
    assert run("count(${children})", *base) == (0, [{"value": 2, "type": "number"}])
    assert run("${child_name}", *base, "--context", "/data/children[2]/child_age") == \
        (0, [{"value": ["Bob"], "type": "nodeset"}])
    assert run("jr:choice-name(${color}, '${color}')", *base) == (0, [{"value": "Green", "type": "string"}])


def test_data_without_form_finds_fields_by_name(submission: Path) -> None:
    assert run("${age} + 1", "--data", str(submission)) == (0, [{"value": 35, "type": "number"}])


def test_missing_data_file_is_an_error(tmp_path: Path) -> None:
    code, lines = run("1", "--data", str(tmp_path / "nope.json"))
    assert code == 1 and lines[0]["kind"] == "input"


def test_batch_answers_each_line_in_order_with_ids(workbook: Path, submission: Path) -> None:
    requests = [
        {"id": "a", "expr": "1 + 1"},
        {"id": 2, "expr": "${x} * 2", "data": {"data": {"x": "4"}}},
        {"id": "c", "expr": "foo("},
        {"id": "d", "expr": "sum(${child_age})", "form": str(workbook), "data": str(submission)},
        {"id": "e", "expr": "${child_name}", "form": str(workbook), "data": str(submission),
         "context": "/data/children[1]/child_age"},
        {"id": "f", "expr": "today()", "tz": "UTC", "now": NOW},
        {"id": "g", "expr": "count(instance('p')/root/item)", "instances": {"p": [{"name": "x"}]}},
    ]
    stdin = "\n".join(json.dumps(r) for r in requests) + "\nnot json\n"
    code, lines = run("--batch", stdin=stdin)
    assert code == 0
    assert lines[0] == {"id": "a", "value": 2, "type": "number"}
    assert lines[1] == {"id": 2, "value": 8, "type": "number"}
    assert lines[2]["id"] == "c" and lines[2]["kind"] == "syntax"
    assert lines[3] == {"id": "d", "value": 8, "type": "number"}
    assert lines[4] == {"id": "e", "value": ["Amy"], "type": "nodeset"}
    assert lines[5] == {"id": "f", "value": "2026-11-28", "type": "string"}
    assert lines[6] == {"id": "g", "value": 1, "type": "number"}
    assert lines[7]["id"] is None and lines[7]["kind"] == "input"
    assert len(lines) == 8


def test_load_form_reads_paths_repeats_and_choices(workbook: Path) -> None:
    info = load_form(str(workbook))
    assert info.root == "data"
    assert info.refs["child_name"] == "/data/children/child_name"
    assert info.repeats == ("/data/children",)
    assert info.field_lists == {"color": "colors"}
    assert info.choices["colors"] == {"r": "Red", "g": "Green"}


def test_json_value() -> None:
    assert json_value(3.0) == 3 and json_value(2.5) == 2.5 and json_value(float("nan")) == "NaN"
    assert json_value(NodeSet()) == [] and json_value(True) is True
