"""GB/T 2260 division lookups from the 2023 NBS tables."""

from __future__ import annotations

from server.domain import divisions


def test_xinzheng_chain() -> None:
    chain = divisions.chain("410184")
    assert [d.code for d in chain] == ["41", "4101", "410184"]
    assert [d.level for d in chain] == ["province", "prefecture", "county"]
    assert divisions.full_name("410184") == "河南省郑州市新郑市"


def test_lookup_by_padded_and_statistical_codes() -> None:
    assert divisions.get("410000").code == "41"  # type: ignore[union-attr]
    assert divisions.get("410100").code == "4101"  # type: ignore[union-attr]
    assert divisions.get("410184106000").code == "410184"  # type: ignore[union-attr]
    assert divisions.get("999999") is None
    assert divisions.get("4101").code6 == "410100"  # type: ignore[union-attr]


def test_placeholders_are_skipped_in_full_names() -> None:
    assert divisions.full_name("110101") == "北京市东城区"


def test_provinces_include_hk_macao_taiwan() -> None:
    codes = [p.code for p in divisions.provinces()]
    assert len(codes) == 34
    assert {"71", "81", "82"} <= set(codes)


def test_children_and_counties() -> None:
    prefectures = divisions.children("41")
    assert "4101" in [p.code for p in prefectures]
    assert "410184" in [c.code for c in divisions.children("4101")]
    assert len(divisions.counties()) == 2978


def test_is_known_county() -> None:
    assert divisions.is_known_county("410184")
    assert divisions.is_known_county("441900")  # 东莞: prefecture-level city without counties
    assert not divisions.is_known_county("4101")
    assert not divisions.is_known_county("410199")
    assert divisions.is_known_address_code("810000")
    assert not divisions.is_known_county("810000")
    assert divisions.province_of("640104").name == "宁夏回族自治区"  # type: ignore[union-attr]
