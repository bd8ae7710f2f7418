"""Resident ID numbers: the worked examples of domain/README.md section 1."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain import resident_id as rid

VALID = [
    ("640104198506120218", date(1985, 6, 12), "1"),
    ("62292119920815026X", date(1992, 8, 15), "2"),
    ("450102199704300363", date(1997, 4, 30), "2"),
]


def codes(text: str, **kw: object) -> list[str]:
    return [p.code for p in rid.validate(text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("number", "born", "sex"), VALID)
def test_valid_examples(number: str, born: date, sex: str) -> None:
    assert rid.validate(number) == []
    assert rid.is_valid(number)
    assert rid.birth_date(number) == born
    assert rid.sex(number) == sex
    assert rid.check_char(number[:17]) == number[17]


def test_lower_case_x_is_accepted_and_normalized() -> None:
    assert rid.normalize(" 62292119920815026x ") == "62292119920815026X"
    assert rid.validate("62292119920815026x") == []
    assert rid.normalize("６４０１０４ 1985-0612-0218") == "640104198506120218"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("640104198506120219", "id.checksum"),
        ("45010219970230036X", "id.date"),
        ("960104198506120212", "id.province"),
        ("64010419850612021", "id.length"),
        ("6401041985061202A8", "id.charset"),
        ("64010418990612021X", "id.date"),
        ("", "id.empty"),
    ],
)
def test_invalid_examples(number: str, code: str) -> None:
    assert code in codes(number)
    assert not rid.is_valid(number)


def test_checksum_only_validator_would_accept_feb_30() -> None:
    number = "45010219970230036X"
    assert rid.check_char(number[:17]) == "X"
    assert codes(number) == ["id.date"]


def test_future_birth_date() -> None:
    first17 = "64010420300101021"
    number = first17 + rid.check_char(first17)
    assert codes(number, today=date(2026, 1, 1)) == ["id.future_date"]
    assert codes(number, today=date(2031, 1, 1)) == []


def test_legacy_15_digit_number() -> None:
    assert rid.convert_15_to_18("640104850612021") == "640104198506120218"
    assert codes("640104850612021") == ["id.legacy_format"]
    assert rid.is_valid("640104850612021")
    assert rid.birth_date("640104850612021") == date(1985, 6, 12)
    assert rid.sex("640104850612021") == "1"
    with pytest.raises(ValueError):
        rid.convert_15_to_18("64010485061202")


def test_unknown_county_is_only_a_warning() -> None:
    first17 = "41019919850612021"  # 410199 is not a county in the 2023 table
    number = first17 + rid.check_char(first17)
    problems = rid.validate(number)
    assert [(p.code, p.severity) for p in problems] == [("id.county_unknown", "warning")]
    assert rid.is_valid(number)


def test_hong_kong_residence_permit_address_code_is_known() -> None:
    first17 = "81000019900101001"
    assert rid.validate(first17 + rid.check_char(first17)) == []


def test_messages_in_both_languages() -> None:
    (problem,) = rid.validate("640104198506120219")
    assert problem.severity == "error"
    assert "校验" in problem.message("zh")
    assert "check character" in problem.message("en")


def test_mask() -> None:
    assert rid.mask("640104198506120218") == "6401**********0218"
    assert rid.mask("640104850612021") == "6401*******2021"
    assert rid.mask("1234") == "****"


def test_derivations_reject_garbage() -> None:
    with pytest.raises(ValueError):
        rid.birth_date("64010419850230021X")
    with pytest.raises(ValueError):
        rid.sex("abc")
    with pytest.raises(ValueError):
        rid.check_char("123")
    assert rid.address_code("640104198506120218") == "640104"
