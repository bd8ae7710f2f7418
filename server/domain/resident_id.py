"""Citizen resident ID numbers (公民身份号码, GB 11643-1999): normalize, validate, derive, mask."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from server.domain._reference import read_csv
from server.domain.divisions import is_known_address_code

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by (sum mod 11)
MIN_BIRTH_DATE = date(1900, 1, 1)

_RE_18 = re.compile(r"^\d{17}[\dX]$")
_RE_15 = re.compile(r"^\d{15}$")
_SPACES = re.compile(r"[\s\u3000\-]+")
_FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")

Severity = Literal["error", "warning"]

_MESSAGES: dict[str, tuple[str, str]] = {
    "id.empty": ("身份证号码为空", "The ID number is empty"),
    "id.length": (
        "身份证号码应为18位（或15位旧号码）",
        "The ID number must have 18 characters (or 15 for a legacy number)",
    ),
    "id.charset": (
        "身份证号码只能包含数字，最后一位可为X",
        "The ID number may contain only digits, with X allowed as the last character",
    ),
    "id.date": (
        "身份证号码中的出生日期不是有效日期",
        "The birth date in the ID number is not a real date on or after 1900-01-01",
    ),
    "id.future_date": ("身份证号码中的出生日期晚于今天", "The birth date in the ID number is in the future"),
    "id.province": (
        "身份证号码前两位不是有效的省级行政区划代码",
        "The first two digits of the ID number are not a province code",
    ),
    "id.checksum": ("身份证号码校验码错误", "The check character of the ID number is wrong"),
    "id.county_unknown": (
        "身份证号码的地址码不在现行区划表中（可能是已撤销的旧代码）",
        "The address code of the ID number is not in the current division table (it may be a retired code)",
    ),
    "id.legacy_format": (
        "这是15位旧身份证号码，已转换为18位",
        "This is a legacy 15-digit number; it was converted to 18 characters",
    ),
}


@dataclass(frozen=True, slots=True)
class IdProblem:
    """One finding about an ID number, with a stable code and zh/en messages."""

    code: str
    severity: Severity
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        """The message in the given language ('zh' or 'en')."""
        return self.message_en if lang.startswith("en") else self.message_zh


def _problem(code: str, severity: Severity = "error") -> IdProblem:
    zh, en = _MESSAGES[code]
    return IdProblem(code, severity, zh, en)


@cache
def province_codes() -> frozenset[str]:
    """The 34 two-digit provincial-level codes (31 mainland + 71, 81, 82)."""
    return frozenset(row["code"] for row in read_csv("provinces.csv"))


def normalize(text: str) -> str:
    """Strip spaces and dashes, turn full-width digits half-width, and upper-case x."""
    return _SPACES.sub("", text.translate(_FULLWIDTH)).upper()


def check_remainder(first17: str) -> int:
    """ISO 7064 MOD 11-2 remainder of the weighted sum of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_char needs exactly 17 digits")
    return sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11


def check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return CHECK_CHARS[check_remainder(first17)]


def convert_15_to_18(legacy: str) -> str:
    """Convert a first-generation 15-digit number to 18 characters (century 19 + check char)."""
    legacy = normalize(legacy)
    if not _RE_15.match(legacy):
        raise ValueError("a legacy ID number has exactly 15 digits")
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + check_char(first17)


def to_18(text: str) -> str:
    """Normalize and, for a 15-digit number, convert; no validation beyond the shape."""
    value = normalize(text)
    return convert_15_to_18(value) if _RE_15.match(value) else value


def _parse_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def validate(text: str, *, today: date | None = None, check_county: bool = True) -> list[IdProblem]:
    """All problems with an ID number (errors and warnings); an empty list means valid."""
    value = normalize(text)
    if not value:
        return [_problem("id.empty")]
    problems: list[IdProblem] = []
    if len(value) == 15:
        if not _RE_15.match(value):
            return [_problem("id.charset")]
        problems.append(_problem("id.legacy_format", "warning"))
        value = convert_15_to_18(value)
    elif len(value) != 18:
        return [_problem("id.length")]
    elif not _RE_18.match(value):
        return [_problem("id.charset")]

    born = _parse_date(value[6:14])
    if born is None or born < MIN_BIRTH_DATE:
        problems.append(_problem("id.date"))
    elif born > (today or date.today()):
        problems.append(_problem("id.future_date"))
    if value[:2] not in province_codes():
        problems.append(_problem("id.province"))
    if check_char(value[:17]) != value[17]:
        problems.append(_problem("id.checksum"))
    if check_county and not any(p.severity == "error" for p in problems):
        if not is_known_address_code(value[:6]):
            problems.append(_problem("id.county_unknown", "warning"))
    return problems


def errors(problems: list[IdProblem]) -> list[IdProblem]:
    """Only the problems that make the number invalid (not warnings)."""
    return [p for p in problems if p.severity == "error"]


def is_valid(text: str, *, today: date | None = None) -> bool:
    """True when the number has no errors (warnings such as an unknown county are allowed)."""
    return not errors(validate(text, today=today))


def _checked(text: str) -> str:
    value = to_18(text)
    if not _RE_18.match(value) or _parse_date(value[6:14]) is None:
        raise ValueError("not a well-formed ID number")
    return value


def birth_date(id_number: str) -> date:
    """The birth date encoded in an 18- or 15-character ID number."""
    value = _checked(id_number)
    born = _parse_date(value[6:14])
    assert born is not None
    return born


def sex(id_number: str) -> str:
    """Sex per GB/T 2261.1 from the sequence parity: '1' male (odd), '2' female (even)."""
    value = _checked(id_number)
    return "1" if int(value[16]) % 2 == 1 else "2"


def address_code(id_number: str) -> str:
    """The 6-digit GB/T 2260 address code (county of first hukou registration)."""
    return _checked(id_number)[:6]


def mask(id_number: str) -> str:
    """Mask all but the first 4 and last 4 characters, e.g. 6401**********0218."""
    value = normalize(id_number)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
