"""GB/T 3304 ethnic groups."""

from __future__ import annotations

from server.domain import ethnicity


def test_fifty_six_groups_in_code_order() -> None:
    groups = ethnicity.all_ethnicities()
    assert [g.code for g in groups] == [f"{i:02d}" for i in range(1, 57)]
    assert len(ethnicity.minorities()) == 55
    assert not groups[0].is_minority and groups[0].name_zh == "汉族"


def test_lookup_by_code() -> None:
    hui = ethnicity.by_code("03")
    assert hui is not None and hui.name_zh == "回族"
    assert ethnicity.by_code(3) == hui
    assert ethnicity.by_code("57") is None
    assert not ethnicity.is_valid_code("00")


def test_lookup_by_name_with_or_without_zu() -> None:
    assert ethnicity.by_name("维吾尔族") == ethnicity.by_name("维吾尔") == ethnicity.by_code("05")
    assert ethnicity.by_name(" 回 ") == ethnicity.by_code("03")
    assert ethnicity.by_name("Tibetan") == ethnicity.by_code("04")
    assert ethnicity.by_name("ug") == ethnicity.by_code("05")
    assert ethnicity.by_name("火星族") is None


def test_standard_spellings() -> None:
    sui = ethnicity.by_name("水族")
    assert sui is not None and (sui.roman, sui.alpha2) == ("Sui", "SU")
    zang = ethnicity.by_code("04")
    assert zang is not None and zang.alpha2 == "ZA" and zang.name_en == "Tibetan"
    korean = ethnicity.by_name("朝鲜")
    assert korean is not None and korean.name_en == "Korean"
    assert ethnicity.by_name("回族").short_name == "回"  # type: ignore[union-attr]
