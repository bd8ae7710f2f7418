"""Pure checks of one imported row, and its content key.

Each cell is checked by its property's type with the same domain rules the
forms use (ID numbers: checksum, birth date, province; dates; division and
ethnicity codes; phones; integers; closed choice lists) and put in canonical
form, so that the content key — a hash of the canonical values and placement
— is the same whichever column order, encoding or spreadsheet the platform
exported it in. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from server.domain import divisions, ethnicity, resident_id
from server.domain import phone as phones
from server.domain.datasets import DatasetSpec, PropertySpec, PropertyType
from server.imports.mapping import ColumnPlan

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass
class CheckedRow:
    """A row's canonical property values and placement, or the problems that refuse it."""

    props: dict[str, Any] = field(default_factory=dict)
    grid: str | None = None
    point: tuple[float, float] | None = None
    problems: list[dict[str, str]] = field(default_factory=list)
    _content_key: str | None = field(default=None, repr=False, compare=False)

    def refuse(self, column: str, code: str, message: str) -> None:
        """Record one problem with one cell."""
        self.problems.append({"column": column, "code": code, "message": message})

    def content_key(self) -> str:
        """A hash of what the row says (canonical values and placement), not of how the file spelt it.

        Worked out once the row is checked (the import asks for it several times).
        """
        if self._content_key is None:
            body = json.dumps([self.props, self.grid, self.point], sort_keys=True, ensure_ascii=False, default=str)
            self._content_key = hashlib.sha256(body.encode("utf-8")).hexdigest()
        return self._content_key


def parse_date(text: str) -> str | None:
    """YYYY-MM-DD from 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日 or 20260301; None if not a date."""
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None


def _value(spec: PropertySpec, text: str, today: dt.date) -> tuple[Any, str | None]:
    """The canonical value of a cell, or None and the problem's code."""
    kind = spec.type
    if kind is PropertyType.CN_RESIDENT_ID:
        problems = resident_id.errors(resident_id.validate(text, today=today))
        return (None, problems[0].message_zh) if problems else (resident_id.to_18(text), None)
    if kind is PropertyType.DATE:
        value = parse_date(text)
        return (value, None) if value else (None, "row.bad_date")
    if kind is PropertyType.DIVISION_CODE:
        return (text, None) if text.isdigit() and divisions.get(text) is not None else (None, "row.bad_division")
    if kind is PropertyType.ETHNICITY_CODE:
        found = ethnicity.by_code(text) if text.isdigit() else ethnicity.by_name(text)
        return (found.code, None) if found is not None else (None, "row.bad_ethnicity")
    if kind is PropertyType.PHONE:
        number = phones.normalize(text)
        return (number, None) if number else (None, "row.bad_phone")
    if kind is PropertyType.INTEGER:
        try:
            count = float(text)
        except ValueError:
            return None, "row.bad_integer"
        return (int(count), None) if count.is_integer() and count >= 0 else (None, "row.bad_integer")
    if kind is PropertyType.GEOPOINT:
        return text, None
    if kind is PropertyType.SELECT and spec.values:
        chosen = text.split() if spec.multiple else [text]
        if any(v not in spec.values for v in chosen):
            return None, "row.bad_choice"
    return text, None


_MESSAGES = {
    "row.bad_date": "不是有效日期",
    "row.bad_division": "不是有效的行政区划代码",
    "row.bad_ethnicity": "不是有效的民族代码或名称",
    "row.bad_phone": "不是有效的电话号码",
    "row.bad_integer": "不是非负整数",
    "row.bad_choice": "不在可选值之内",
    "row.missing_value": "必填项为空",
    "row.bad_location": "经纬度无效",
    "row.extra_cells": "本行的单元格多于表头",
    "row.blank": "空行",
}


def check_row(spec: DatasetSpec, plan: ColumnPlan, cells: list[str], today: dt.date) -> CheckedRow:
    """Check and canonicalise one row's cells against the dataset's property types."""
    row = CheckedRow()
    if not any(c.strip() for c in cells):
        row.refuse("", "row.blank", _MESSAGES["row.blank"])
        return row
    if any(c.strip() for c in cells[plan.width:]):
        row.refuse("", "row.extra_cells", _MESSAGES["row.extra_cells"])
    lonlat: dict[str, str] = {}
    for index, header, target in plan.targets:
        text = cells[index].strip() if index < len(cells) else ""
        if target in ("lon", "lat"):
            lonlat[target] = text
            continue
        if target == "grid":
            row.grid = text or None
            continue
        spec_of = spec.properties[target]
        if not text:
            if spec_of.required or target == spec.label_property:
                row.refuse(header, "row.missing_value", _MESSAGES["row.missing_value"])
            continue
        value, code = _value(spec_of, text, today)
        if code is None:
            row.props[target] = value
        elif not code.startswith("row."):  # an ID number's problem, already a message
            row.refuse(header, "row.bad_resident_id", code)
        else:
            row.refuse(header, code, _MESSAGES[code])
    if any(lonlat.values()):
        try:
            lon, lat = float(lonlat.get("lon", "")), float(lonlat.get("lat", ""))
        except ValueError:
            lon, lat = 999.0, 999.0
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            row.point = (lon, lat)
        else:
            row.refuse(plan.header_of("lon"), "row.bad_location", _MESSAGES["row.bad_location"])
    return row

