"""Bad workbooks are refused with every problem located by sheet, row, column and code."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from server.forms.compiled import iter_fields
from server.forms.compiler import WorkbookError, compile_workbook
from tests.unit.forms.fixtures.workbooks import simple_form, xlsform

TEXT = {"type": "text", "name": "a", "label": "A"}


def refused(data: bytes, filename: str = "t.xlsx", **kw: Any) -> list[dict[str, Any]]:
    """The located problems of a workbook that must not compile."""
    with pytest.raises(WorkbookError) as info:
        compile_workbook(data, filename, **kw)
    exc = info.value
    assert exc.status == 422 and exc.code == "form.invalid_workbook"
    assert exc.errors == {"workbook": exc.problems}
    return exc.problems


def where(problems: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(p["sheet"], p["row"], p["column"], p["code"]) for p in problems}


# --------------------------------------------------------------------------- the file itself
def test_not_a_workbook() -> None:
    assert where(refused(b"hello, I am not a spreadsheet")) == {(None, None, None, "form.not_a_workbook")}


def test_corrupt_zip() -> None:
    data = simple_form(TEXT)
    assert where(refused(data[: len(data) // 2])) == {(None, None, None, "form.not_a_workbook")}


def test_zip_without_workbook_part() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert where(refused(buffer.getvalue())) == {(None, None, None, "form.not_a_workbook")}


@pytest.mark.parametrize("member", ["../x", "/etc/x", "xl/../../x", "xl/./x", "..\\x", "C:/x", "xl//x"])
def test_members_outside_the_archive_make_it_no_workbook(member: str) -> None:
    good = simple_form(TEXT)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(zipfile.ZipInfo(member), b"x")
    compile_workbook(good, "t.xlsx")  # the same workbook without the stray member compiles
    assert where(refused(out.getvalue())) == {(None, None, None, "form.not_a_workbook")}


def test_zip_bomb_is_refused_before_opening() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 30_000_000)
    assert len(buffer.getvalue()) < 100_000
    problems = refused(buffer.getvalue())
    assert where(problems) == {(None, None, None, "form.zip_bomb")}


def test_too_large() -> None:
    assert where(refused(simple_form(TEXT), max_bytes=1000)) == {(None, None, None, "form.too_large")}


def test_unsupported_extension() -> None:
    assert where(refused(simple_form(TEXT), "form.pdf")) == {(None, None, None, "form.unsupported_file_type")}


# --------------------------------------------------------------------------- sheets and columns
def test_missing_survey_sheet() -> None:
    data = xlsform(None, choices=[{"list_name": "yn", "name": "y", "label": "Y"}], settings=[{"form_id": "t"}])
    assert ("survey", None, None, "form.missing_sheet") in where(refused(data))


@pytest.mark.parametrize("column", ["type", "name"])
def test_missing_required_column(column: str) -> None:
    columns = [c for c in ("type", "name", "label") if c != column]
    data = xlsform([{"type": "text", "name": "a", "label": "A"}], settings=[{"form_id": "t"}],
                   survey_columns=columns)
    assert ("survey", 1, column, "form.missing_column") in where(refused(data))


def test_unknown_type() -> None:
    data = simple_form(TEXT, {"type": "txet", "name": "b", "label": "B"})
    assert where(refused(data)) == {("survey", 3, "type", "form.unknown_type")}


def test_duplicate_names_in_the_same_group() -> None:
    data = simple_form(TEXT, {"type": "begin_group", "name": "g", "label": "G"}, {"type": "integer", "name": "b",
                       "label": "B"}, {"type": "integer", "name": "b", "label": "B again"},
                       {"type": "end_group", "name": "g"})
    problems = refused(data)
    assert where(problems) == {("survey", 5, "name", "form.duplicate_name")}
    assert "row 4" in problems[0]["message"]


def test_a_name_in_several_groups_compiles_without_a_ref() -> None:
    data = simple_form(TEXT, {"type": "begin_group", "name": "g", "label": "G"}, {"type": "integer", "name": "a",
                       "label": "A again"}, {"type": "end_group", "name": "g"})
    form = compile_workbook(data, "t.xlsx")
    assert [f["path"] for f in iter_fields(form.definition["fields"]) if f["name"] == "a"] == ["/data/a", "/data/g/a"]
    assert "a" not in form.definition["refs"] and form.definition["refs"]["g"] == "/data/g"


@pytest.mark.parametrize(("column", "text"), [("relevant", "${a} = 1"), ("label", "A is ${a}"),
                                              ("calculation", "${last-saved#a}")])
def test_a_reference_to_a_name_in_several_groups(column: str, text: str) -> None:
    rows = [TEXT, {"type": "begin_group", "name": "g", "label": "G"}, {"type": "integer", "name": "a", "label": "A"},
            {"type": "end_group", "name": "g"}, {"type": "calculate" if column == "calculation" else "note",
                                                  "name": "n", "label": "N", column: text}]
    problems = refused(simple_form(*rows))
    assert where(problems) == {("survey", 6, column, "form.ambiguous_reference")}


def test_choices_from_a_repeat_question_whose_name_is_used_twice() -> None:
    rows = [{"type": "begin_repeat", "name": "r1", "label": "R1"}, {"type": "text", "name": "who", "label": "W"},
            {"type": "end_repeat"}, {"type": "begin_repeat", "name": "r2", "label": "R2"},
            {"type": "text", "name": "who", "label": "W"}, {"type": "end_repeat"},
            {"type": "select_one ${who}", "name": "pick", "label": "P"}, {"type": "select_one ${nobody}",
                                                                          "name": "pick2", "label": "P"}]
    assert where(refused(simple_form(*rows))) == {("survey", 8, "type", "form.ambiguous_reference"),
                                                  ("survey", 9, "type", "form.unknown_reference")}


def test_capitalised_headers_are_located_as_written() -> None:
    data = xlsform([{"Type": "integer", "Name": "a", "Label": "A", "Relevant": "${nope} > 1"}],
                   settings=[{"form_id": "t"}], titles={"survey": "Survey"})
    assert where(refused(data)) == {("survey", 2, "Relevant", "form.unknown_reference")}


def test_header_spelt_twice_is_a_duplicate_column() -> None:
    data = xlsform([{"type": "integer", "Type": "text", "name": "a", "label": "A"}], settings=[{"form_id": "t"}])
    assert ("survey", 1, "Type", "form.duplicate_column") in where(refused(data))


def test_smart_quotes_are_plain_quotes_as_in_pyxform() -> None:
    form = compile_workbook(simple_form(TEXT, {"type": "integer", "name": "b", "label": "B",
                                               "relevant": "${a} = \u2018yes\u2019"}), "t.xlsx")
    assert [f["relevant"] for f in form.definition["fields"] if f["name"] == "b"] == ["${a} = 'yes'"]


def test_unknown_reference() -> None:
    data = simple_form(TEXT, {"type": "integer", "name": "b", "label": "B", "relevant": "${nope} = 1"})
    assert where(refused(data)) == {("survey", 3, "relevant", "form.unknown_reference")}


def test_unknown_reference_in_a_label() -> None:
    data = simple_form(TEXT, {"type": "note", "name": "n", "label": "Hello ${who}"})
    assert where(refused(data)) == {("survey", 3, "label", "form.unknown_reference")}


def test_unknown_choice_list() -> None:
    data = simple_form({"type": "select_one yn", "name": "q", "label": "Q"},
                       choices=[{"list_name": "other", "name": "x", "label": "X"}])
    assert ("survey", 2, "type", "form.unknown_choice_list") in where(refused(data))


# --------------------------------------------------------------------------- expressions
@pytest.mark.parametrize(
    ("column", "row"),
    [
        ("relevant", {"type": "integer", "name": "b", "label": "B"}),
        ("constraint", {"type": "integer", "name": "b", "label": "B"}),
        ("calculation", {"type": "calculate", "name": "b"}),
        ("required", {"type": "integer", "name": "b", "label": "B"}),
        ("default", {"type": "integer", "name": "b", "label": "B"}),
        ("choice_filter", {"type": "select_one yn", "name": "b", "label": "B"}),
    ],
)
def test_expression_syntax_in_every_expression_column(column: str, row: dict[str, str]) -> None:
    bad = {**row, column: "(${a} + 1"}
    data = simple_form(TEXT, bad, choices=[{"list_name": "yn", "name": "y", "label": "Y"}])
    problems = refused(data)
    assert ("survey", 3, column, "form.expression_syntax") in where(problems)
    assert all(p["row"] == 3 and p["column"] == column for p in problems if p["sheet"] == "survey")


def test_repeat_count_syntax() -> None:
    data = simple_form(TEXT, {"type": "begin_repeat", "name": "r", "label": "R", "repeat_count": "${a} +"},
                       {"type": "text", "name": "x", "label": "X"}, {"type": "end_repeat", "name": "r"})
    assert ("survey", 3, "repeat_count", "form.expression_syntax") in where(refused(data))


def test_trigger_to_unknown_name() -> None:
    data = simple_form(TEXT, {"type": "calculate", "name": "b", "calculation": "now()", "trigger": "${zz}"})
    assert ("survey", 3, "trigger", "form.unknown_reference") in where(refused(data))


def test_unknown_function_and_wrong_arity() -> None:
    data = simple_form(TEXT, {"type": "integer", "name": "b", "label": "B", "constraint": "frobnicate(.) and concat()"},
                       {"type": "calculate", "name": "c", "calculation": "substr(${a})"})
    found = where(refused(data))
    assert ("survey", 3, "constraint", "form.unknown_function") in found
    assert ("survey", 4, "calculation", "form.function_arity") in found


def test_cyclic_calculations() -> None:
    data = simple_form(TEXT, {"type": "calculate", "name": "x", "calculation": "${y} + 1"},
                       {"type": "calculate", "name": "y", "calculation": "${z} * 2"},
                       {"type": "calculate", "name": "z", "calculation": "${x} - ${a}"},
                       {"type": "calculate", "name": "ok", "calculation": "${x}"})
    problems = refused(data)
    assert where(problems) == {("survey", r, "calculation", "form.calculation_cycle") for r in (3, 4, 5)}
    assert "x -> y -> z -> x" in problems[0]["message"]


@pytest.mark.parametrize("column", ["create_if", "update_if", "label", "entity_id"])
def test_entities_expressions(column: str) -> None:
    entity = {"list_name": "things", "label": "${a}", column: "concat(${a}, "}
    data = xlsform([TEXT], settings=[{"form_id": "t"}], entities=[entity])
    assert ("entities", 2, column, "form.expression_syntax") in where(refused(data))


def test_unknown_datatype_and_save_to_property() -> None:
    survey = [{"type": "text", "name": "a", "label": "A", "save_to": "full_name"},
              {"type": "text", "name": "b", "label": "B", "save_to": "no_such_property",
               "bind::gridreg:datatype": "cn_passport"}]
    data = xlsform(survey, settings=[{"form_id": "t"}], entities=[{"list_name": "persons", "label": "${a}"}])
    found = where(refused(data))
    assert found == {("survey", 3, "save_to", "form.unknown_property"),
                     ("survey", 3, "bind::gridreg:datatype", "form.unknown_datatype")}


# --------------------------------------------------------------------------- pyxform and all-at-once
def test_pyxform_error_is_located() -> None:
    data = simple_form(TEXT, {"type": "begin_group", "name": "g", "label": "G"}, {"type": "text", "name": "b",
                       "label": "B"})
    problems = refused(data)
    assert len(problems) == 1
    assert (problems[0]["sheet"], problems[0]["row"], problems[0]["code"]) == ("survey", 3, "form.pyxform_error")
    assert "Unmatched 'begin_group'" in problems[0]["message"]


def test_unexpected_pyxform_exception_is_a_workbook_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(**kw: Any) -> None:
        raise IndexError("tuple index out of range")

    monkeypatch.setattr("server.forms.compiler.convert", boom)
    assert where(refused(simple_form(TEXT))) == {(None, None, None, "form.pyxform_error")}


def test_every_problem_is_reported_at_once() -> None:
    data = simple_form(
        TEXT,
        {"type": "txet", "name": "b", "label": "B"},
        {"type": "integer", "name": "a", "label": "A2"},
        {"type": "integer", "name": "c", "label": "C", "relevant": "${a} = ", "constraint": "nope(.)"},
        {"type": "calculate", "name": "d", "calculation": "${missing} + 1"},
    )
    assert where(refused(data)) == {
        ("survey", 3, "type", "form.unknown_type"),
        ("survey", 4, "name", "form.duplicate_name"),
        ("survey", 5, "relevant", "form.expression_syntax"),
        ("survey", 5, "constraint", "form.unknown_function"),
        ("survey", 6, "calculation", "form.unknown_reference"),
    }


def test_problems_are_json_ready_and_in_sheet_order() -> None:
    data = simple_form(TEXT, {"type": "calculate", "name": "d", "calculation": "${x}"},
                       {"type": "integer", "name": "e", "label": "E", "relevant": "${y}"})
    problems = refused(data)
    assert [p["row"] for p in problems] == [3, 4]
    assert all(set(p) == {"sheet", "row", "column", "code", "message", "value"} for p in problems)
    assert [p["value"] for p in problems] == ["${x}", "${y}"]


def test_an_empty_choices_sheet_is_ignored_as_pyxform_does() -> None:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(simple_form(TEXT)))
    book.create_sheet("choices")
    buffer = io.BytesIO()
    book.save(buffer)
    assert compile_workbook(buffer.getvalue(), "t.xlsx").definition["choices"] == {}


def test_a_calculation_may_read_its_own_last_saved_value() -> None:
    data = simple_form(TEXT, {"type": "calculate", "name": "visits", "calculation": "${last-saved#visits} + 1"})
    assert compile_workbook(data, "t.xlsx").definition["fields"][1]["calculation"] == "${last-saved#visits} + 1"
    cycle = simple_form(TEXT, {"type": "calculate", "name": "visits", "calculation": "${visits} + 1"})
    assert where(refused(cycle)) == {("survey", 3, "calculation", "form.calculation_cycle")}


def test_pyxform_naming_an_element_points_at_its_row() -> None:
    data = simple_form({"type": "integer", "name": "n", "label": "N"}, {"type": "text", "name": "hh_name"})
    (found,) = refused(data)
    assert (found["sheet"], found["row"], found["column"], found["code"]) == (
        "survey", 3, "label", "form.missing_label")
    assert "hh_name" in found["message"]
