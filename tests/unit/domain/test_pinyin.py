"""Name to pinyin search keys."""

from __future__ import annotations

from server.domain import pinyin


def test_full_and_initials() -> None:
    assert pinyin.full_pinyin("马小红") == "maxiaohong"
    assert pinyin.initials("马小红") == "mxh"


def test_transliterated_names_drop_middle_dot() -> None:
    assert pinyin.full_pinyin("买买提·艾力") == "maimaitiaili"
    assert pinyin.initials("买买提 · 艾力") == "mmtal"


def test_surname_readings() -> None:
    assert pinyin.full_pinyin("单雄信") == "shanxiongxin"
    assert pinyin.full_pinyin("曾国藩") == "zengguofan"
    assert pinyin.full_pinyin("长孙无忌") == "zhangsunwuji"


def test_variants_cover_heteronyms() -> None:
    keys = pinyin.name_keys("单田芳")
    assert keys.full == "shantianfang"
    assert {"shantianfang", "dantianfang", "stf", "dtf"} <= keys.variants
    assert len(keys.variants) <= 2 * pinyin.MAX_VARIANTS + 2


def test_latin_letters_kept() -> None:
    assert pinyin.full_pinyin("Ahmad 王") == "ahmadwang"
    assert pinyin.clean_name(" 马　小红 ") == "马小红"
    assert pinyin.full_pinyin("吕") == "lv"
