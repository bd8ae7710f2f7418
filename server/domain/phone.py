"""Mainland China phone numbers: mobile (1[3-9] + 9 digits) and landline with area code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["mobile", "landline"]

_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－（）", "0123456789+-()")
_SEPARATORS = re.compile(r"[\s\-()\u3000.]+")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0 + 2 or 3 digits (010, 020-029 are 3 long; others 4), then 7-8 digits, optional extension.
_LANDLINE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))(\d{7,8})$")
_LANDLINE_WITH_EXT = re.compile(r"^(.*?)(?:转|ext\.?|x|#)(\d{1,6})$", re.IGNORECASE)

# XPath regex for XLSForm constraints: mobile, or landline with area code.
XLSFORM_REGEX = r"^(1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})$"


@dataclass(frozen=True, slots=True)
class Phone:
    """A parsed phone number in canonical form (mobile 11 digits, landline 0AREA-NUMBER)."""

    kind: Kind
    number: str  # canonical: "13812345678" or "0371-62345678"
    area_code: str | None = None
    extension: str | None = None


def _clean(text: str) -> str:
    value = text.translate(_FULLWIDTH).strip()
    value = _SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            if value and value[0] != "1":  # +86 371 ... drops the trunk 0
                value = "0" + value
            break
    else:
        if value.startswith("86") and len(value) == 13 and _MOBILE.match(value[2:]):
            value = value[2:]
    return value


def parse(text: str) -> Phone | None:
    """Parse a mobile or landline number; None if it is neither."""
    value = _clean(text)
    extension = None
    if m := _LANDLINE_WITH_EXT.match(value):
        value, extension = m.group(1), m.group(2)
    if extension is None and _MOBILE.match(value):
        return Phone("mobile", value)
    if m := _LANDLINE.match(value):
        area, local = m.group(1), m.group(2)
        return Phone("landline", f"{area}-{local}", area_code=area, extension=extension)
    return None


def normalize(text: str) -> str | None:
    """Canonical form ("13812345678", "0371-62345678"), or None if not a phone number."""
    parsed = parse(text)
    return parsed.number if parsed else None


def is_mobile(text: str) -> bool:
    """True for an 11-digit mainland mobile number starting 13-19."""
    parsed = parse(text)
    return parsed is not None and parsed.kind == "mobile"


def is_valid(text: str) -> bool:
    """True for a mobile number or a landline with area code."""
    return parse(text) is not None


def mask(text: str) -> str:
    """Hide the middle digits: 138****5678, 0371-****5678."""
    parsed = parse(text)
    if parsed is None:
        value = _clean(text)
        return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)
    if parsed.kind == "mobile":
        return parsed.number[:3] + "****" + parsed.number[-4:]
    local = parsed.number.split("-", 1)[1]
    return f"{parsed.area_code}-{'*' * (len(local) - 4)}{local[-4:]}"
