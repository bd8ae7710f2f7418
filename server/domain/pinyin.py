"""Chinese names to pinyin search keys (full and initials), surname- and heteronym-aware."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin, pinyin

# Surnames whose reading differs from the character's common reading.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "万俟": ("mo", "qi"),
    "尉迟": ("yu", "chi"),
    "长孙": ("zhang", "sun"),
    "令狐": ("ling", "hu"),
    "单": ("shan",),
    "曾": ("zeng",),
    "区": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "解": ("xie",),
    "查": ("zha",),
    "盖": ("ge",),
    "乐": ("yue",),
    "覃": ("qin",),
    "翟": ("zhai",),
    "缪": ("miao",),
    "召": ("shao",),
    "员": ("yun",),
    "种": ("chong",),
    "秘": ("bi",),
    "繁": ("po",),
    "纪": ("ji",),
    "柏": ("bai",),
    "折": ("she",),
    "相": ("xiang",),
    "黑": ("he",),
    "尉": ("yu",),
    "过": ("guo",),
    "句": ("gou",),
    "宁": ("ning",),
}
MAX_VARIANTS = 16

# Middle dots used between parts of transliterated names (买买提·艾力) and other separators.
_SEPARATORS = re.compile(r"[\s·•‧・．.\-_'’]+")
_KEEP = re.compile(r"[^0-9a-z\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Search keys for a name: preferred full pinyin, initials, and all variants of both."""

    full: str
    initials: str
    variants: frozenset[str]


def clean_name(name: str) -> str:
    """NFKC, lower-case, drop spaces and middle dots: '买买提·艾力' -> '买买提艾力'."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _SEPARATORS.sub("", text)
    return _KEEP.sub("", text)


def _surname_split(name: str) -> tuple[tuple[str, ...], str]:
    for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname) and len(name) > len(surname):
            return SURNAME_READINGS[surname], name[len(surname) :]
    return (), name


def _keep(chars: str) -> str:
    """pypinyin callback: keep runs of Latin letters or digits as they are."""
    return chars


def _syllables(text: str) -> list[str]:
    """One syllable per Han character; runs of Latin letters or digits stay whole."""
    return [s for s in lazy_pinyin(text, style=Style.NORMAL, errors=_keep) if s]


def full_pinyin(name: str) -> str:
    """Preferred full pinyin without tones or spaces, surname-aware: 单雄信 -> shanxiongxin."""
    surname, rest = _surname_split(clean_name(name))
    return "".join((*surname, *_syllables(rest)))


def initials(name: str) -> str:
    """First letter of each syllable: 马小红 -> mxh; Latin runs keep their first letter."""
    surname, rest = _surname_split(clean_name(name))
    return "".join(s[0] for s in (*surname, *_syllables(rest)))


def _heteronym_options(text: str) -> list[list[str]]:
    options: list[list[str]] = []
    for char_readings in pinyin(text, style=Style.NORMAL, heteronym=True, errors=_keep):
        readings = [r for r in dict.fromkeys(char_readings) if r]
        if readings:
            options.append(readings)
    return options


def name_keys(name: str) -> NameKeys:
    """Full pinyin, initials and up to MAX_VARIANTS alternative readings of each, for search."""
    cleaned = clean_name(name)
    full, inits = full_pinyin(cleaned), initials(cleaned)
    variants = {full, inits}
    options = _heteronym_options(cleaned)
    surname, rest = _surname_split(cleaned)
    if surname:  # surname reading and the plain reading are both plausible
        surname_len = len(cleaned) - len(rest)
        options[:surname_len] = [[s, *o] for s, o in zip(surname, options[:surname_len], strict=False)]
    for combo in itertools.islice(itertools.product(*options), MAX_VARIANTS):
        variants.add("".join(combo))
        variants.add("".join(s[0] for s in combo))
    variants.discard("")
    return NameKeys(full=full, initials=inits, variants=frozenset(variants))
