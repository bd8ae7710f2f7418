"""Compile an uploaded XLSForm (.xlsx, .xlsm, .xls or .csv) into a ``CompiledForm``.

pyxform reads the workbook and writes the XForm for ODK Collect; its survey JSON
is turned into gridreg's compiled form JSON (``compiled.build_definition``).
Because pyxform stops at its first error and never parses expressions, the raw
upload is first checked for size and zip bombs, then every row is checked by
``workbook_checks`` with gridreg's own expression parser, on the sheets spelt as
pyxform reads them (``workbook_sheets``); pyxform's error, if any, is added as
one more located entry, and the XForm it writes is checked for what ODK Collect
would refuse to open (``workbook_structure``). Every problem comes back at once in a
``WorkbookError`` (HTTP 422, code ``form.invalid_workbook``) whose
``errors == {"workbook": [{"sheet", "row", "column", "code", "message"}, ...]}``;
``row`` is the sheet's 1-based row (the header is row 1), and ``sheet``, ``row``
and ``column`` are ``None`` where a problem concerns the whole file or sheet.
Nothing pyxform raises escapes as a 500: unexpected failures become
``form.pyxform_error`` entries.

Version: the settings sheet's ``version``. When it is absent, a deterministic
version ``"h" + 12 hex digits`` is derived from the SHA-256 of the sheets'
content (not of the file bytes, so re-saving an unchanged workbook keeps the
version); it is written into the XForm too, and ``CompiledForm.version_derived``
is True.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import DefinitionData, get_xlsform
from pyxform.xls2xform import convert

from server.domain.datasets import DatasetSpec, PropertySpec, PropertyType, city_datasets
from server.errors import AppError
from server.forms.compiled import CompiledForm, FormEntities, build_definition
from server.forms.undeclared import undeclared_properties
from server.forms.workbook_checks import check_definition, check_file, file_extension, type_info
from server.forms.workbook_problems import VALUE_CHARS, WorkbookProblem, problem, sorted_problems
from server.forms.workbook_sheets import NormalisedSheets, normalise
from server.forms.workbook_structure import check_empty_groups

__all__ = ["CompiledForm", "FormEntities", "WorkbookError", "compile_workbook"]

_ROW_RE = re.compile(r"\[row : (\d+)\]")
_SHEET_RE = re.compile(r"On the '(\w+)' sheet, the '([^']+)' value")
_ELEMENT_RE = re.compile(r"^The survey element named '([^']+)'")
_UNKNOWN_TYPE_RE = re.compile(r"Unknown question type '([^']*)'")
_PYXFORM_CODES = (
    ("Unknown question type", "form.unknown_type"),
    ("Reference variables names must be unique", "form.ambiguous_reference"),
    ("There are multiple survey elements named", "form.ambiguous_reference"),
    ("Choice names must be unique", "form.duplicate_choice"),
    ("must be unique", "form.duplicate_name"),
    ("Reference variables must contain a name", "form.unknown_reference"),
    ("no name", "form.missing_name"),
    ("has no label or hint", "form.missing_label"),
    ("required column headers were not found", "form.missing_column"),
    ("Duplicate column header", "form.duplicate_column"),
    ("There should be a choices sheet", "form.unknown_choice_list"),
    ("List name not in choices sheet", "form.unknown_choice_list"),
)


class WorkbookError(AppError):
    """The workbook cannot be compiled; ``errors["workbook"]`` lists every located problem."""

    status, code, message_zh = 422, "form.invalid_workbook", "表单文件有误，无法编译"

    def __init__(self, problems: list[WorkbookProblem]) -> None:
        self.problems = sorted_problems(problems)
        count = len(self.problems)
        super().__init__(
            f"The workbook has {count} problem{'s' if count != 1 else ''}",
            errors={"workbook": self.problems},
            message_zh=f"表单文件有 {count} 处错误，无法编译",
        )


def compile_workbook(data: bytes, filename: str, *, max_bytes: int = 10_000_000,
                     datasets: Mapping[str, DatasetSpec] | None = None,
                     declare_unknown: bool = False) -> CompiledForm:
    """Compile an XLSForm upload; raise WorkbookError listing every located problem.

    With ``declare_unknown``, ``save_to`` names the form's dataset lacks are compiled as plain text
    properties and listed in ``CompiledForm.undeclared`` (the caller declares them on publish).
    """
    problems = check_file(data, filename, max_bytes)
    if problems:
        raise WorkbookError(problems)
    ext = file_extension(filename)
    try:
        defn = get_xlsform(io.BytesIO(data), file_type=ext)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the upload's fault
        raise WorkbookError([problem(None, None, None, "form.not_a_workbook",
                                     f"the file could not be read as {ext}: {exc}")]) from exc
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    defn.fallback_form_name = re.sub(r"[^A-Za-z0-9_]", "_", stem) or "form"
    if datasets is None:
        datasets = city_datasets()
    sheets = normalise(defn)
    undeclared: list[tuple[int, str, str | None]] = []
    if declare_unknown:
        dataset_name, undeclared = undeclared_properties(sheets.defn, datasets)
        if dataset_name is not None and undeclared:
            datasets = {**datasets, dataset_name: _with_text_properties(datasets[dataset_name], undeclared)}
    problems = check_definition(sheets.defn, datasets) + sheets.collisions()
    if defn.survey is None:
        raise WorkbookError(_as_written(problems, sheets))
    settings_row: dict[str, Any] = dict((sheets.defn.settings or [{}])[0] or {})
    version = str(settings_row.get("version") or "").strip()
    derived = not version
    if derived:
        version = derive_version(defn)
        settings_row["version"] = version
        defn.settings = [settings_row]
        defn.settings_header = [{k: None for k in settings_row}]
    warnings: list[str] = []
    result = None
    try:
        result = convert(xlsform=asdict(defn), warnings=warnings)
    except PyXFormError as exc:
        _add_pyxform_problem(problems, _locate(str(exc), defn))
    except Exception as exc:  # noqa: BLE001 - pyxform bugs on odd input must not be a 500
        _add_pyxform_problem(problems, problem(None, None, None, "form.pyxform_error",
                                               f"pyxform could not convert the workbook: {exc!r}"))
    if problems or result is None or result._pyxform is None:
        raise WorkbookError(_as_written(problems, sheets)
                            or [problem(None, None, None, "form.pyxform_error", "no output")])
    check_empty_groups(result.xform, sheets.defn.survey or [], problems)
    if problems:
        raise WorkbookError(_as_written(problems, sheets))
    pyx = result._pyxform
    form_id = str(pyx.get("id_string") or defn.fallback_form_name)
    definition = build_definition(pyx, form_id=form_id, version=version, settings_row=settings_row,
                                  entity_rows=sheets.defn.entities, datasets=datasets)
    definition["digest"] = definition_digest(definition)
    entities = definition["entities"]
    return CompiledForm(
        form_id=form_id,
        version=version,
        title=str(pyx.get("title") or form_id),
        default_language=definition["default_language"],
        languages=tuple(definition["languages"]),
        definition=definition,
        xform_xml=result.xform,
        media_files=tuple(definition["media_files"]),
        entities=FormEntities(entities["dataset"], tuple(entities["actions"])) if entities else None,
        version_derived=derived,
        warnings=tuple(warnings),
        undeclared=tuple(undeclared),
    )


def _with_text_properties(spec: DatasetSpec, undeclared: list[tuple[int, str, str | None]]) -> DatasetSpec:
    extra = {name: PropertySpec(name, PropertyType.TEXT, label or name, name) for _, name, label in undeclared}
    return replace(spec, properties={**spec.properties, **extra})


def definition_digest(definition: Mapping[str, Any]) -> str:
    """'sha256:' + hex digest of the canonical JSON of a definition (its own digest left out)."""
    content = {k: v for k, v in definition.items() if k != "digest"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def derive_version(defn: DefinitionData) -> str:
    """A deterministic version from the sheets' content: 'h' + 12 hex digits of SHA-256."""
    content = {k: v for k, v in asdict(defn).items() if k not in ("fallback_form_name", "sheet_names")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    return "h" + digest.hexdigest()[:12]


def _as_written(problems: list[WorkbookProblem], sheets: NormalisedSheets) -> list[WorkbookProblem]:
    """Problems located by the headers as the workbook spells them."""
    return [WorkbookProblem(sheet=p["sheet"], row=p["row"], column=sheets.written(p["sheet"], p["column"]),
                            code=p["code"], message=p["message"], value=_cell(sheets.defn, p))
            for p in problems]


def _cell(defn: DefinitionData, found: WorkbookProblem) -> str | None:
    """The content of the data cell a problem points at, shortened; None for headers and whole sheets."""
    sheet, row, column = found["sheet"], found["row"], found["column"]
    rows = getattr(defn, sheet, None) if sheet in ("survey", "choices", "settings", "entities") else None
    if not rows or not row or row < 2 or not column or row - 2 >= len(rows):
        return None
    value = (rows[row - 2] or {}).get(column)
    if value is None or str(value).strip() == "":
        return None
    return str(value)[:VALUE_CHARS]


def _locate(message: str, defn: DefinitionData) -> WorkbookProblem:
    """Turn a pyxform error message into a located problem (row and column when it names them)."""
    code = next((c for needle, c in _PYXFORM_CODES if needle in message), "form.pyxform_error")
    row_match = _ROW_RE.search(message)
    sheet_match = _SHEET_RE.search(message)
    row = int(row_match.group(1)) if row_match else None
    sheet = sheet_match.group(1) if sheet_match else ("survey" if row else None)
    column = sheet_match.group(2) if sheet_match else None
    type_match = _UNKNOWN_TYPE_RE.search(message)
    if type_match and row is None:
        wanted = type_match.group(1)
        for i, r in enumerate(defn.survey or []):
            if type_info(str(r.get("type", "")))[0] == wanted or str(r.get("type", "")).strip() == wanted:
                sheet, row, column = "survey", i + 2, "type"
                break
    element = _ELEMENT_RE.search(message)
    if element and row is None:  # pyxform names the element, not its row: find the row by name
        found = _row_named(defn, element.group(1))
        if found is not None:
            sheet, row = "survey", found
            column = "label" if "no label" in message else "name"
    if code == "form.missing_column" and row is None:
        sheet_name = re.search(r"sheet: '(\w+)'", message)
        missing = re.search(r"not found: '([^']+)'", message)
        sheet, row = (sheet_name.group(1) if sheet_name else "survey"), 1
        column = missing.group(1) if missing else None
    if code in ("form.missing_name", "form.duplicate_name", "form.unknown_type") and column is None and row:
        column = {"form.missing_name": "name", "form.duplicate_name": "name", "form.unknown_type": "type"}[code]
    return problem(sheet, row, column, code, message)


def _row_named(defn: DefinitionData, name: str) -> int | None:
    """The survey sheet row (header is row 1) of the question or group with this name."""
    return next((i + 2 for i, r in enumerate(defn.survey or []) if str(r.get("name", "")).strip() == name), None)


def _add_pyxform_problem(problems: list[WorkbookProblem], found: WorkbookProblem) -> None:
    """Add pyxform's error unless one of our checks already reported the same thing."""
    for p in problems:
        if p["code"] == found["code"] and (found["row"] is None or p["row"] == found["row"]):
            return
    if problems and found["code"] == "form.pyxform_error" and found["row"] is None:
        return  # a knock-on failure of a problem we already located
    problems.append(found)
