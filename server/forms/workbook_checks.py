"""Located checks on an uploaded XLSForm, run before and beside pyxform so every problem is reported.

pyxform stops at its first error and does not parse expressions, so the compiler
runs these checks on the rows pyxform read (``DefinitionData``: one dict per sheet
row, header on row 1, so list index ``i`` is sheet row ``i + 2``) and reports all
of them at once. Each problem is a ``WorkbookProblem`` dict:
``{"sheet", "row", "column", "code", "message"}`` (row/column ``None`` when the
problem concerns a whole sheet or file). As in pyxform, a name must be unique
within its group or repeat; a name used in several groups can be answered in
each but not referenced: ``${name}`` would not say which one is meant
(``form.ambiguous_reference``). The rows come from ``workbook_sheets.normalise``,
spelt as pyxform reads them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.utils import default_is_dynamic

from server.domain.datasets import DatasetSpec, PropertyType
from server.forms.expr import ExprSyntaxError, check_calls, check_functions, parse
from server.forms.expr.nodes import Ref, walk
from server.forms.workbook_problems import WorkbookProblem, problem, row_number
from server.forms.workbook_structure import (
    SurveyIndex,
    check_choice_labels,
    repeat_question,
    unsupported_type,
)

# Zip-bomb limits: an honest XLSForm (3,000 choices, 5 sheets) unpacks to a few MB.
MAX_UNCOMPRESSED_BYTES = 200_000_000
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_MEMBERS = 2_000
SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv")
KNOWN_DATATYPES = frozenset({"cn_resident_id"})

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_REF_RE = re.compile(r"\$\{([^}]*)\}")
_YES_NO = frozenset({"yes", "no", "true", "false", "true()", "false()", ""})
_CONTROL = frozenset({"begin group", "end group", "begin repeat", "end repeat", "begin loop", "end loop"})
_SELECT_PREFIXES = (
    "select_one_from_file", "select_multiple_from_file", "select one from file", "select multiple from file",
    "select_one_external",
    # older spellings pyxform still reads (its aliases.select)
    "add select one prompt using", "add select multiple prompt using", "select all that apply from",
    "select one from", "select1",
    "select_one", "select_multiple", "select one", "select all that apply", "select multiple", "rank",
)
_OTHER_SUFFIXES = (" or_other", " or specify other", " or other")
_FILE_SELECT_PREFIXES = ("select_one_from_file", "select_multiple_from_file", "select one from file",
                 "select multiple from file")
_SELECT_BASES = frozenset(p.replace(" ", "_") for p in _SELECT_PREFIXES)
_FILE_SELECTS = frozenset(p.replace(" ", "_") for p in _FILE_SELECT_PREFIXES)
# Canonical survey columns holding expressions, by the headers XLSForm accepts for them.
_SURVEY_EXPR_COLUMNS = {
    "relevant": "relevant", "relevance": "relevant", "bind::relevant": "relevant",
    "constraint": "constraint", "bind::constraint": "constraint",
    "calculation": "calculation", "calculate": "calculation", "bind::calculate": "calculation",
    "required": "required", "bind::required": "required",
    "read_only": "read_only", "readonly": "read_only", "bind::readonly": "read_only",
    "default": "default", "choice_filter": "choice_filter",
    "repeat_count": "repeat_count", "count": "repeat_count", "jr:count": "repeat_count",
}
_ENTITY_EXPR_COLUMNS = ("create_if", "update_if", "label", "entity_id")
_TEXT_COLUMNS = ("label", "hint", "constraint_message", "required_message", "guidance_hint")


# --------------------------------------------------------------------------- file level
def check_file(data: bytes, filename: str, max_bytes: int) -> list[WorkbookProblem]:
    """Size, type and zip-bomb checks on the raw upload (before any parser sees it)."""
    ext = file_extension(filename)
    if len(data) > max_bytes:
        return [problem(None, None, None, "form.too_large",
                        f"the file has {len(data)} bytes; the limit is {max_bytes}")]
    if not data:
        return [problem(None, None, None, "form.not_a_workbook", "the file is empty")]
    if ext not in SUPPORTED_EXTENSIONS:
        return [problem(None, None, None, "form.unsupported_file_type",
                        f"{filename!r} is not one of {', '.join(SUPPORTED_EXTENSIONS)}")]
    if ext in (".xlsx", ".xlsm"):
        return _check_zip(data)
    if ext == ".xls" and not data.startswith(b"\xd0\xcf\x11\xe0"):
        return [problem(None, None, None, "form.not_a_workbook", "the file is not an Excel 97-2003 workbook")]
    if ext == ".csv":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [problem(None, None, None, "form.not_a_workbook", "the CSV file is not UTF-8 text")]
    return []


def file_extension(filename: str) -> str:
    """The lower-cased extension of an upload's file name ('' if none)."""
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _check_zip(data: bytes) -> list[WorkbookProblem]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return [problem(None, None, None, "form.not_a_workbook", f"the file is not a valid .xlsx workbook ({exc})")]
    if len(members) > MAX_ZIP_MEMBERS:
        return [problem(None, None, None, "form.zip_bomb", f"the archive holds {len(members)} files")]
    stray = next((m.filename for m in members if not _inside_archive(m.filename)), None)
    if stray is not None:
        return [problem(None, None, None, "form.not_a_workbook",
                        f"the archive holds a file named {stray!r}, outside any workbook's parts")]
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        return [problem(None, None, None, "form.zip_bomb",
                        f"the archive unpacks to {total} bytes from {packed} (ratio {total / packed:.0f})")]
    if not any(m.filename == "xl/workbook.xml" for m in members):
        return [problem(None, None, None, "form.not_a_workbook", "the archive is not an Excel workbook")]
    return []


def _inside_archive(name: str) -> bool:
    """A member name an Excel workbook can have: a relative path, no ``..``, no drive, no control characters.

    An archive naming ``../x`` or ``/etc/x`` was made to escape wherever it is unpacked; whatever
    reads it next (pyxform, openpyxl, an editor on a designer's desk), it is no workbook.
    """
    if not name or name.startswith("/") or "\\" in name or ":" in name:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return False
    parts = name.rstrip("/").split("/")
    return all(part not in ("", ".", "..") for part in parts)


# --------------------------------------------------------------------------- sheet level
def header_names(header: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Column names from pyxform's ``<sheet>_header`` entry."""
    return [str(k) for k in header[0]] if header else []


def type_info(raw_type: str) -> tuple[str, str | None]:
    """Normalise a survey 'type' cell: (base type, list name or file for selects)."""
    text = " ".join(raw_type.replace("\u00a0", " ").split())
    low = text.lower()
    for prefix in _SELECT_PREFIXES:
        if low == prefix or low.startswith(prefix + " "):
            arg = text[len(prefix):].strip()
            for suffix in _OTHER_SUFFIXES:
                if arg.endswith(suffix):
                    arg = arg[: -len(suffix)].strip()
            return prefix.replace(" ", "_"), arg or None
    return low.replace("_", " ") if low.replace("_", " ") in _CONTROL else text, None


def is_known_type(base: str) -> bool:
    """True for a question/control type that pyxform understands."""
    return base in _CONTROL or base in QUESTION_TYPE_DICT or base in _SELECT_BASES


def check_definition(defn: Any, datasets: Mapping[str, DatasetSpec] | None = None) -> list[WorkbookProblem]:
    """Every located problem in the sheets pyxform read (``pyxform`` ``DefinitionData``)."""
    out: list[WorkbookProblem] = []
    survey = defn.survey
    if survey is None:
        return [problem("survey", None, None, "form.missing_sheet", "the workbook has no 'survey' sheet")]
    headers = header_names(defn.survey_header)
    for column in ("type", "name"):
        if column not in headers:
            out.append(problem("survey", 1, column, "form.missing_column",
                               f"the 'survey' sheet has no '{column}' column"))
    if "type" not in headers:
        return out
    index = _scan_survey(survey, out)
    settings_row = (defn.settings or [{}])[0] or {}
    allow_duplicates = str(settings_row.get("allow_choice_duplicates", "")).strip().lower() in ("yes", "true",
                                                                                                  "true()")
    choice_lists = _check_choices(defn, out, allow_duplicates)
    for row, column, list_name in index.list_refs:
        question = repeat_question(list_name)
        if question is not None:
            if question not in index.first_row:
                out.append(problem("survey", row, column, "form.unknown_reference",
                                   f"${{{question}}} does not name a question on the 'survey' sheet"))
            elif question in index.ambiguous:
                out.append(ambiguous_reference("survey", row, column, question))
        elif list_name not in choice_lists:
            out.append(problem("survey", row, column, "form.unknown_choice_list",
                               f"the choices list {list_name!r} is not on the 'choices' sheet"))
    check_choice_labels(defn, {name for _, _, name in index.list_refs}, out)
    names = index.names(settings_row)
    for i, row in enumerate(survey):
        _check_expressions(row, row_number(i), names, out, index)
    _check_cycles(index, out)
    _check_entities(defn, names, survey, datasets, out, index.ambiguous)
    return out


def _scan_survey(survey: Sequence[Mapping[str, Any]], out: list[WorkbookProblem]) -> SurveyIndex:
    index = SurveyIndex()
    for i, row in enumerate(survey):
        if not row:
            continue
        rownum = row_number(i)
        raw_type = str(row.get("type", "")).strip()
        name = str(row.get("name", "")).strip()
        if not raw_type:
            if name or any(k in row for k in ("label", "calculation", "relevant")):
                out.append(problem("survey", rownum, "type", "form.missing_type", "the row has no type"))
            continue
        base, list_name = type_info(raw_type)
        unsupported = unsupported_type(base, raw_type)
        if unsupported is not None:
            out.append(problem("survey", rownum, "type", "form.unsupported_type", unsupported))
            if base.startswith("begin "):
                index.open(name or f"row{rownum}", rownum)
            continue
        if not is_known_type(base):
            out.append(problem("survey", rownum, "type", "form.unknown_type",
                               f"unknown question type {raw_type!r}"))
            continue
        if list_name and base not in _FILE_SELECTS and base != "select_one_external":
            index.list_refs.append((rownum, "type", list_name))
        if base.startswith("end "):
            index.close()
            continue
        if base == "audit" and not name:
            name = "audit"  # pyxform names the audit itself
        if base == "note" and not name:
            name = f"generated_note_name_{rownum}"  # and notes without a name
        if not name:
            out.append(problem("survey", rownum, "name", "form.missing_name", "the row has no name"))
            continue
        if not _NAME_RE.match(name):
            out.append(problem("survey", rownum, "name", "form.invalid_name",
                               f"{name!r} is not a valid XML element name"))
        first = index.add(name, rownum)
        if first is not None:
            out.append(problem("survey", rownum, "name", "form.duplicate_name",
                               f"the name {name!r} is already used on row {first} in the same group"))
        if base.startswith("begin "):
            index.open(name, rownum)
    return index


def _check_choices(defn: Any, out: list[WorkbookProblem], allow_duplicates: bool = False) -> set[str]:
    lists: set[str] = set()
    if not defn.choices:  # pyxform ignores an empty choices sheet
        return lists
    headers = header_names(defn.choices_header)
    for column in ("list_name", "name"):
        if column not in headers:
            out.append(problem("choices", 1, column, "form.missing_column",
                               f"the 'choices' sheet has no '{column}' column"))
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(defn.choices):
        list_name = str(row.get("list_name", "")).strip()
        if not list_name:
            continue
        lists.add(list_name)
        name = str(row.get("name", "")).strip()
        key = (list_name, name)
        if key in seen and name and not allow_duplicates:
            out.append(problem("choices", row_number(i), "name", "form.duplicate_choice",
                               f"the choice {name!r} of list {list_name!r} repeats row {seen[key]}"))
        seen.setdefault(key, row_number(i))
    return lists


def _check_expressions(row: Mapping[str, Any], rownum: int, names: set[str], out: list[WorkbookProblem],
                       index: SurveyIndex) -> None:
    ambiguous = index.ambiguous
    row_type = type_info(str(row.get("type", "")))[0]
    for column, raw in row.items():
        canonical = _SURVEY_EXPR_COLUMNS.get(column)
        text = str(raw).strip()
        if canonical is None:
            if column == "trigger" or column.split("::")[0] in _TEXT_COLUMNS:
                _check_refs_only(text, names, "survey", rownum, column, out, ambiguous)
            continue
        if canonical in ("required", "read_only") and text.lower() in _YES_NO:
            continue
        if canonical == "default" and not default_is_dynamic(text, row_type):
            continue
        if canonical == "repeat_count" and text.isdigit():
            continue
        expr = check_expression(text, "survey", rownum, column, names, out, ambiguous)
        if canonical == "calculation" and expr is not None and row.get("name"):
            index.calculations[str(row["name"]).strip()] = (rownum, column, expr)


def check_expression(text: str, sheet: str, rownum: int, column: str, names: set[str] | None,
                     out: list[WorkbookProblem], ambiguous: Collection[str] = ()) -> frozenset[str] | None:
    """Parse one expression cell, appending syntax/function/reference problems; its current refs or None."""
    try:
        expr = parse(text)
    except ExprSyntaxError as exc:
        out.append(problem(sheet, rownum, column, "form.expression_syntax",
                           f"{exc.message} at character {exc.position + 1} of {text!r}"))
        return None
    unknown = set(check_functions(expr))
    for name in sorted(unknown):
        out.append(problem(sheet, rownum, column, "form.unknown_function", f"unknown function {name}()"))
    for message in check_calls(expr):
        if not message.startswith("unknown function"):
            out.append(problem(sheet, rownum, column, "form.function_arity", message))
    if names is not None:
        for ref in sorted(expr.refs - names):
            out.append(problem(sheet, rownum, column, "form.unknown_reference",
                               f"${{{ref}}} does not name a question on the 'survey' sheet"))
    for ref in sorted(expr.refs & set(ambiguous)):
        out.append(ambiguous_reference(sheet, rownum, column, ref))
    # ${last-saved#name} reads the previous submission: it cannot close a cycle of calculations
    return frozenset(n.name for n in walk(expr.ast) if isinstance(n, Ref) and not n.last_saved)


def _check_refs_only(text: str, names: set[str], sheet: str, rownum: int, column: str,
                     out: list[WorkbookProblem], ambiguous: Collection[str] = ()) -> None:
    for ref in dict.fromkeys(r.strip().removeprefix("last-saved#") for r in _REF_RE.findall(text)):
        if ref not in names:
            out.append(problem(sheet, rownum, column, "form.unknown_reference",
                               f"${{{ref}}} does not name a question on the 'survey' sheet"))
        elif ref in ambiguous:
            out.append(ambiguous_reference(sheet, rownum, column, ref))


def ambiguous_reference(sheet: str, rownum: int, column: str, name: str) -> WorkbookProblem:
    """${name} where several groups have a question of that name."""
    return problem(sheet, rownum, column, "form.ambiguous_reference",
                   f"${{{name}}} 指向多个同名题目（位于不同的组或重复组中），无法确定引用哪一个；"
                   f"请改用唯一的名称 (several questions are named {name!r})")


def _check_cycles(index: SurveyIndex, out: list[WorkbookProblem]) -> None:
    graph = {name: [r for r in refs if r in index.calculations] for name, (_, _, refs) in index.calculations.items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):]
                for member in cycle:
                    if member not in reported:
                        reported.add(member)
                        rownum, column, _ = index.calculations[member]
                        out.append(problem("survey", rownum, column, "form.calculation_cycle",
                                           "calculations refer to each other in a cycle: "
                                           + " -> ".join([*cycle, nxt])))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def _check_entities(defn: Any, names: set[str], survey: Sequence[Mapping[str, Any]],
                    datasets: Mapping[str, DatasetSpec] | None, out: list[WorkbookProblem],
                    ambiguous: Collection[str] = ()) -> None:
    rows = defn.entities or []
    dataset_names: list[str] = []
    for i, row in enumerate(rows):
        if not row:
            continue
        dataset_names.append(str(row.get("list_name", "")).strip())
        for column in _ENTITY_EXPR_COLUMNS:
            text = str(row.get(column, "")).strip()
            if text:
                check_expression(text, "entities", row_number(i), column, names, out, ambiguous)
    spec = datasets.get(dataset_names[0]) if datasets and dataset_names else None
    for i, row in enumerate(survey):
        datatype = str(row.get("bind::gridreg:datatype", "")).strip()
        if datatype and datatype not in KNOWN_DATATYPES:
            out.append(problem("survey", row_number(i), "bind::gridreg:datatype", "form.unknown_datatype",
                               f"unknown datatype {datatype!r} (known: {', '.join(sorted(KNOWN_DATATYPES))})"))
        save_to = str(row.get("save_to", "")).strip()
        if save_to and spec is not None and save_to not in spec.properties:
            out.append(problem("survey", row_number(i), "save_to", "form.unknown_property",
                               f"{save_to!r} is not a property of dataset {spec.name!r}: declare it with "
                               f"POST /api/v1/registry/datasets/{spec.name}/properties, or upload with "
                               "?declare=text to declare it as plain text on publish"))


def resident_id_properties(spec: DatasetSpec | None) -> frozenset[str]:
    """Names of a dataset's properties typed cn_resident_id."""
    if spec is None:
        return frozenset()
    return frozenset(p.name for p in spec.properties.values() if p.type is PropertyType.CN_RESIDENT_ID)
