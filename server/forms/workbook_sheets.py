"""The sheets of an uploaded XLSForm spelt the way pyxform reads them, for gridreg's own checks.

pyxform forgives the spelling of column headers: ``Type``, ``List Name`` and
``list name`` are ``type`` and ``list_name`` to it (the first ``::`` token is
snake-cased when the result is a column it knows), and it replaces "smart"
quotes in every cell (and collapses runs of whitespace on the survey sheet
unless ``clean_text_values`` is ``no``). Sheet names are already lower-cased by
its reader. ``normalise`` applies the same spelling to a copy of the rows, so
the checks in ``workbook_checks`` see what pyxform compiles; each sheet's
``columns`` maps a normalised header back to the one written in the workbook,
so problems are still located by the column the designer typed. Unknown
columns keep their spelling: a choices column may be named in a choice_filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pyxform import aliases
from pyxform.constants import EntityColumns
from pyxform.parsing.sheet_headers import clean_text_values, to_snake_case
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey
from pyxform.xls2json_backends import DefinitionData

from server.forms.workbook_problems import WorkbookProblem, problem

_KNOWN: dict[str, frozenset[str]] = {
    "survey": frozenset(MultipleChoiceQuestion.get_slot_names()) | frozenset(aliases.survey_header)
    | {"save_to", "guidance_hint", "choice_filter", "parameters", "trigger", "default", "media", "name"},
    "choices": frozenset(Option.get_slot_names()) | frozenset(aliases.list_header) | {"list_name", "media"},
    "external_choices": frozenset(Option.get_slot_names()) | frozenset(aliases.list_header) | {"list_name"},
    "settings": frozenset(Survey.get_slot_names()) | frozenset(aliases.settings_header)
    | {"version", "form_id", "form_title", "default_language", "instance_name", "allow_choice_duplicates",
       "clean_text_values"},
    "entities": frozenset(c.value for c in EntityColumns) | {"list_name"},
}
SHEETS = tuple(_KNOWN)


@dataclass
class NormalisedSheets:
    """The normalised copy and, per sheet, normalised header -> header as written."""

    defn: DefinitionData
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (sheet, kept, dropped)

    def collisions(self) -> list[WorkbookProblem]:
        """Headers that are one column to pyxform once normalised (e.g. 'Type' beside 'type')."""
        return [problem(sheet, 1, dropped, "form.duplicate_column",
                        f"the column {dropped!r} is the same column as {kept!r}")
                for sheet, kept, dropped in self.duplicates]

    def written(self, sheet: str | None, column: str | None) -> str | None:
        """The header as the workbook spells it."""
        if sheet is None or column is None:
            return column
        return self.columns.get(sheet, {}).get(column, column)


def canonical_header(sheet: str, header: str, double_colon: bool = True) -> str:
    """The header as pyxform understands it: the first '::' token snake-cased if that names a known column.

    In a sheet with no '::' header at all pyxform splits on ':' ('label:english'), keeping 'jr:count' whole.
    """
    if not double_colon and ":" in header:
        tokens: list[str] = []
        for token in header.split(":"):
            if tokens and tokens[-1] == "jr":
                tokens[-1] = "jr:" + token
            else:
                tokens.append(token)
        if len(tokens) > 1 and to_snake_case(tokens[0]) in _KNOWN[sheet]:
            header = "::".join(t.strip() for t in tokens)
    first, sep, rest = header.partition("::")
    snake = to_snake_case(first)
    if snake != first and snake in _KNOWN[sheet]:
        return str(snake + sep + rest)
    return header


def _double_colon(header: Sequence[Mapping[str, Any]] | None, rows: Sequence[Mapping[str, Any]] | None) -> bool:
    keys = list(header[0]) if header else [k for r in (rows or [])[:100] for k in (r or {})]
    return any("::" in str(k) for k in keys)


def normalise(defn: DefinitionData) -> NormalisedSheets:
    """A copy of the sheets with pyxform's header spelling and cleaned text values."""
    result = NormalisedSheets(defn)
    settings = _sheet(result, "settings", defn.settings, defn.settings_header, strip=False)
    clean = str(((settings[0] if settings else None) or {}).get("clean_text_values", "yes")).strip().lower()
    strip_survey = clean not in ("no", "false", "false()")
    changes: dict[str, Any] = {"settings": settings}
    for sheet in SHEETS:
        if sheet == "settings":
            continue
        rows = getattr(defn, sheet)
        header = getattr(defn, sheet + "_header")
        changes[sheet] = _sheet(result, sheet, rows, header, strip=strip_survey and sheet == "survey")
        if header:
            double = _double_colon(header, rows)
            changes[sheet + "_header"] = [{canonical_header(sheet, str(k), double): None for k in header[0]}]
    if defn.settings_header:
        changes["settings_header"] = [{canonical_header("settings", str(k)): None for k in defn.settings_header[0]}]
    result.defn = replace(defn, **changes)
    return result


def _sheet(result: NormalisedSheets, sheet: str, rows: Sequence[Mapping[str, Any]] | None,
           header: Sequence[Mapping[str, Any]] | None, *, strip: bool) -> list[dict[str, Any]] | None:
    if rows is None:
        return None
    names = result.columns.setdefault(sheet, {})
    double = _double_colon(header, rows)
    for original in (header[0] if header else {}):
        canonical = canonical_header(sheet, str(original), double)
        if canonical in names and names[canonical] != original:
            result.duplicates.append((sheet, names[canonical], str(original)))
            continue
        names[canonical] = str(original)
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in (row or {}).items():
            canonical = canonical_header(sheet, str(key), double)
            if canonical in clean:
                continue
            clean[canonical] = clean_text_values(value, strip_whitespace=strip) if isinstance(value, str) else value
        out.append(clean)
    return out
