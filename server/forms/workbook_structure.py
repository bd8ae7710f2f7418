"""Structural checks on the survey and choices sheets: names by group, unsupported types, what Collect refuses.

pyxform accepts some workbooks that ODK Collect then cannot open (ODK Validate,
i.e. JavaRosa, refuses them): a choice with neither a label nor a media file in
a list a select uses ("<label> node for itemset doesn't exist"), and a group with nothing to show
("Group has no children!"), either empty or holding only calculations and
metadata. The first is checked on the choices sheet, the second on the XForm
pyxform wrote, since that is exactly what JavaRosa parses. Types pyxform knows
but gridreg cannot fill or validate (loops, OpenStreetMap questions, and
select_one_external, whose itemsets.csv gridreg does not serve) are refused as
unsupported rather than unknown.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from functools import cached_property
from typing import Any

from server.forms.workbook_problems import WorkbookProblem, problem, row_number

_XF = "{http://www.w3.org/2002/xforms}"
_H = "{http://www.w3.org/1999/xhtml}"
_REPEAT_LIST_RE = re.compile(r"^\$\{\s*([^\W\d][\w.\-]*)\s*\}$")
_CONTROL_RE = re.compile(r"^(begin|end)[\s_]+(group|repeat|loop|lgroup|looped group)\b")
_NOT_CONTROLS = frozenset({_XF + "label", _XF + "hint"})
_LABEL_COLUMNS = frozenset({"label", "image", "big-image", "audio", "video", "media"})


class SurveyIndex:
    """Names, rows and calculations of the survey sheet, gathered once for every check."""

    def __init__(self) -> None:
        self.first_row: dict[str, int] = {}
        self.rows: dict[str, list[int]] = {}
        self.calculations: dict[str, tuple[int, str, frozenset[str]]] = {}
        self.list_refs: list[tuple[int, str, str]] = []  # (row, type column, list name)
        self._scopes: list[dict[str, int]] = [{}]

    def add(self, name: str, rownum: int) -> int | None:
        """Record a name in the current group; the row of the same name already in that group, if any."""
        scope = self._scopes[-1]
        if name in scope:
            return scope[name]
        scope[name] = rownum
        self.first_row.setdefault(name, rownum)
        self.rows.setdefault(name, []).append(rownum)
        return None

    def open(self, name: str, rownum: int) -> None:
        """Enter a group, repeat or loop."""
        self._scopes.append({})

    def close(self) -> None:
        """Leave the innermost group (an unbalanced 'end' is pyxform's to report)."""
        if len(self._scopes) > 1:
            self._scopes.pop()

    @cached_property
    def ambiguous(self) -> frozenset[str]:
        """Names of questions in several groups: ${name} cannot say which one."""
        return frozenset(name for name, rows in self.rows.items() if len(rows) > 1)

    def names(self, settings_row: Mapping[str, Any]) -> set[str]:
        """Names a ${name} may use: the survey's, and the metadata pyxform adds to every form."""
        names = set(self.first_row) | {"instanceID"}
        if str(settings_row.get("instance_name") or "").strip():
            names.add("instanceName")
        return names


def repeat_question(list_name: str) -> str | None:
    """The question of ``select_one ${question}`` (choices from earlier repeat answers), else None."""
    match = _REPEAT_LIST_RE.match(list_name)
    return match.group(1) if match else None


def unsupported_type(base: str, raw_type: str) -> str | None:
    """Why a type pyxform knows cannot be served (None when it can)."""
    low = base.lower().replace("_", " ")
    if low.startswith("begin loop"):
        return (f"不支持题型“{raw_type}”：本系统无法填写和校验循环组 (begin_loop)，请改用重复组 (begin_repeat)"
                f" (the type {raw_type!r} is not supported)")
    if low.startswith("select one external"):
        return (f"不支持题型“{raw_type}”：本系统不提供外部选项文件 itemsets.csv，ODK Collect 无法显示这些选项，"
                f"请改用 choices 表中的选项加 choice_filter (the type {raw_type!r} is not supported)")
    if low.split(" ", 1)[0] == "osm":
        return (f"不支持题型“{raw_type}”：本系统无法填写和校验 OpenStreetMap (osm) 题目"
                f" (the type {raw_type!r} is not supported)")
    return None


def _has_label(row: Mapping[str, Any]) -> bool:
    """A label or a media file (an image is enough for Collect) in some language."""
    for key, value in row.items():
        if key.split("::", 1)[0] in _LABEL_COLUMNS and str(value if value is not None else "").strip():
            return True
    return False


def check_choice_labels(defn: Any, used_lists: Collection[str], out: list[WorkbookProblem]) -> None:
    """A choice of a list some select uses must have a label in at least one language."""
    for i, row in enumerate(defn.choices or []):
        list_name = str((row or {}).get("list_name", "")).strip()
        if not list_name or list_name not in used_lists or _has_label(row):
            continue
        name = str(row.get("name", "")).strip()
        out.append(problem("choices", row_number(i), "label", "form.choice_without_label",
                           f"列表“{list_name}”中的选项“{name}”没有标签 (label)，ODK Collect 无法打开此表单"
                           f" (the choice has no label)"))


def group_rows(survey: Sequence[Mapping[str, Any]]) -> dict[tuple[str, ...], int]:
    """Row of each 'begin group'/'begin repeat', keyed by its names below the root."""
    out: dict[tuple[str, ...], int] = {}
    stack: list[str] = []
    for i, row in enumerate(survey):
        control = _CONTROL_RE.match(str((row or {}).get("type", "")).strip().lower())
        if control is None:
            continue
        if control.group(1) == "begin":
            stack.append(str(row.get("name", "")).strip())
            out.setdefault(tuple(stack), row_number(i))
        elif stack:
            stack.pop()
    return out


def check_empty_groups(xform_xml: str, survey: Sequence[Mapping[str, Any]], out: list[WorkbookProblem]) -> None:
    """Groups of the XForm's body with no control inside (JavaRosa: 'Group has no children!')."""
    try:
        body = ET.fromstring(xform_xml).find(_H + "body")
    except ET.ParseError:
        return
    if body is None:
        return
    rows = group_rows(survey)
    for group in body.iter(_XF + "group"):
        if any(child.tag not in _NOT_CONTROLS for child in group):
            continue
        ref = group.get("ref") or ""
        names = tuple(ref.strip("/").split("/")[1:])
        row = rows.get(names)
        name = names[-1] if names else ref
        out.append(problem("survey" if row else None, row, "type" if row else None, "form.empty_group",
                           f"组“{name}”是空的：组内没有可显示的题目（只有计算或元数据也算空），ODK Collect"
                           f" 无法打开此表单 (the group {name!r} has nothing to show)"))
