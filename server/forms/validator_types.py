"""Value checks by XForm type and the zh/en messages of the submission validator's issue codes."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

_INT_RE = re.compile(r"^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$")
_DATETIME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(.+)$")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

MESSAGES: dict[str, tuple[str, str]] = {
    "value.required": ("此项必填", "This field is required"),
    "value.type": ("{detail}", "{detail}"),
    "value.constraint": ("不符合填写要求", "The value does not meet the form's constraint"),
    "value.not_relevant": ("此项在当前情况下不应填写", "This field should be empty: it does not apply"),
    "value.calculation_mismatch": ("计算值与表单规则不一致（应为“{expected}”）",
                                   "The calculated value differs from the form's calculation "
                                   "(expected '{expected}')"),
    "value.choice_unknown": ("“{value}”不是此项的有效选项", "'{value}' is not a choice of this question"),
    "value.choice_filtered": ("“{value}”不属于当前可选范围", "'{value}' is not among the choices offered here"),
    "value.attachment_missing": ("缺少附件文件“{value}”", "The attached file '{value}' is missing"),
    "value.repeat_count": ("应有 {expected} 条，实际 {actual} 条",
                           "Expected {expected} entries, got {actual}"),
    "value.unknown_field": ("表单中没有此项", "The form has no such field"),
    "value.expression_error": ("表单规则无法计算：{detail}", "A form rule could not be evaluated: {detail}"),
}
TYPE_DETAILS: dict[str, tuple[str, str]] = {
    "integer": ("应为整数", "Expected a whole number"),
    "decimal": ("应为数字", "Expected a number"),
    "date": ("应为日期（YYYY-MM-DD）", "Expected a date (YYYY-MM-DD)"),
    "time": ("应为时间（HH:MM:SS）", "Expected a time (HH:MM:SS)"),
    "dateTime": ("应为日期时间（ISO 8601）", "Expected a date and time (ISO 8601)"),
    "geopoint": ("应为坐标“纬度 经度 [高度 精度]”，且在有效范围内",
                 "Expected 'latitude longitude [altitude accuracy]' within range"),
    "geotrace": ("应为至少2个以分号分隔的坐标点", "Expected at least 2 points separated by ';'"),
    "geoshape": ("应为至少4个坐标点且首尾相同的多边形", "Expected a closed polygon of at least 4 points"),
    "range": ("应为范围内的数字", "Expected a number within the range"),
    "select_one": ("应为单个选项", "Expected a single choice"),
    "group": ("应为一组字段", "Expected a group of fields"),
    "repeat": ("应为重复组列表", "Expected a list of repeat entries"),
    "acknowledge": ("应为 OK", "Expected OK"),
    "leaf": ("应为单个值，而不是一组字段", "Expected a single value, not a group"),
}


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem with a submitted value: instance path, stable dotted code, message."""

    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The issue as a JSON-ready dict."""
        return {"path": self.path, "code": self.code, "message": self.message}


def message(code: str, lang: str, **values: object) -> str:
    """The message for an issue code in 'zh' or 'en', filled with values."""
    zh, en = MESSAGES.get(code, ("数据有误", "Invalid value"))
    template = en if lang.startswith("en") else zh
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def type_detail(kind: str, lang: str) -> str:
    """The 'expected …' text for a type problem."""
    zh, en = TYPE_DETAILS.get(kind, ("格式有误", "Malformed value"))
    return en if lang.startswith("en") else zh


def _date_ok(text: str) -> bool:
    m = _DATE_RE.match(text)
    if m is None:
        return False
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _time_ok(text: str) -> bool:
    m = _TIME_RE.match(text)
    if m is None:
        return False
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    return hour < 24 and minute < 60 and second < 60 and _offset_ok(m.group(4))


def _offset_ok(text: str | None) -> bool:
    """A UTC offset suffix within -23:59..+23:59 (the expression engine reads no other)."""
    if text is None or text == "Z":
        return True
    digits = text[1:].replace(":", "")
    return int(digits[:2]) < 24 and (len(digits) <= 2 or int(digits[2:4]) < 60)


def _datetime_ok(text: str) -> bool:
    m = _DATETIME_RE.match(text)
    return m is not None and _date_ok(m.group(1)) and _time_ok(m.group(2))


def _integer_ok(text: str) -> bool:
    return _INT_RE.match(text) is not None and INT_MIN <= int(text) <= INT_MAX


def _decimal_ok(text: str) -> bool:
    return _DEC_RE.match(text) is not None and math.isfinite(float(text))


def parse_point(text: str) -> tuple[float, ...] | None:
    """'lat lon [alt [acc]]' as floats if well-formed and in range, else None."""
    parts = text.split()
    if not 2 <= len(parts) <= 4 or not all(_DEC_RE.match(p) for p in parts):
        return None
    nums = tuple(float(p) for p in parts)
    if not (-90 <= nums[0] <= 90 and -180 <= nums[1] <= 180):
        return None
    if len(nums) == 4 and nums[3] < 0:
        return None
    return nums


def _points(text: str) -> list[tuple[float, ...]] | None:
    points = []
    for part in text.split(";"):
        if not part.strip():
            continue
        point = parse_point(part)
        if point is None:
            return None
        points.append(point)
    return points


def _geotrace_ok(text: str) -> bool:
    points = _points(text)
    return points is not None and len(points) >= 2


def _geoshape_ok(text: str) -> bool:
    points = _points(text)
    return points is not None and len(points) >= 4 and points[0][:2] == points[-1][:2]


def _acknowledge_ok(text: str) -> bool:
    return text in ("OK", "ok", "true", "1")


CHECKS: dict[str, Callable[[str], bool]] = {
    "integer": _integer_ok,
    "decimal": _decimal_ok,
    "range": _decimal_ok,
    "date": _date_ok,
    "today": _date_ok,
    "time": _time_ok,
    "dateTime": _datetime_ok,
    "start": _datetime_ok,
    "end": _datetime_ok,
    "geopoint": lambda t: parse_point(t) is not None,
    "start-geopoint": lambda t: parse_point(t) is not None,
    "geotrace": _geotrace_ok,
    "geoshape": _geoshape_ok,
    "acknowledge": _acknowledge_ok,
    "select_one": lambda t: len(t.split()) == 1,
}
ATTACHMENT_TYPES = frozenset({"image", "audio", "video", "file", "background-audio", "audit"})


def type_ok(field_type: str, text: str, parameters: Mapping[str, str]) -> bool:
    """True when a non-empty value is well-formed for the field type."""
    check = CHECKS.get(field_type)
    if check is None:
        return True
    if not check(text):
        return False
    if field_type == "range":
        value = float(text)
        try:
            low = float(parameters.get("start", "-inf"))
            high = float(parameters.get("end", "inf"))
        except ValueError:
            return True
        return min(low, high) <= value <= max(low, high)
    return True


def numbers_equal(a: str, b: str) -> bool:
    """True when two strings are numerically equal within a small relative tolerance."""
    if not (_DEC_RE.match(a) and _DEC_RE.match(b)):
        return False
    x, y = float(a), float(b)
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
