"""Mainland phone numbers."""

from __future__ import annotations

import re

import pytest

from server.domain import phone


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "008613812345678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_forms(text: str) -> None:
    assert phone.normalize(text) == "13812345678"
    assert phone.is_mobile(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0371-62345678", "0371-62345678"),
        ("(0371) 6234567", "0371-6234567"),
        ("010 12345678", "010-12345678"),
        ("+86 371 62345678", "0371-62345678"),
    ],
)
def test_landlines(text: str, expected: str) -> None:
    parsed = phone.parse(text)
    assert parsed is not None and parsed.kind == "landline"
    assert parsed.number == expected


def test_extension() -> None:
    parsed = phone.parse("0371-62345678转123")
    assert parsed is not None and parsed.extension == "123" and parsed.area_code == "0371"


@pytest.mark.parametrize("text", ["12812345678", "1381234567", "62345678", "abc", "", "138123456789"])
def test_invalid(text: str) -> None:
    assert phone.parse(text) is None
    assert not phone.is_valid(text)


def test_mask() -> None:
    assert phone.mask("13812345678") == "138****5678"
    assert phone.mask("0371-62345678") == "0371-****5678"
    assert phone.mask("123") == "***"


def test_xlsform_regex_agrees() -> None:
    rx = re.compile(phone.XLSFORM_REGEX)
    assert rx.match("13812345678") and rx.match("0371-62345678") and rx.match("037162345678")
    assert not rx.match("12812345678")
