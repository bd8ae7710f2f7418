"""The 56 ethnic groups of GB/T 3304-1991, by two-digit code and by Chinese name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from server.domain._reference import read_csv

HAN_CODE = "01"


@dataclass(frozen=True, slots=True)
class Ethnicity:
    """One GB/T 3304 group: code 01-56, Chinese name, romanization, 2-letter code."""

    code: str
    name_zh: str
    roman: str
    alpha2: str
    is_minority: bool
    external_name: str | None  # foreign-facing name where the standard gives one (Korean, Tibetan)

    @property
    def short_name(self) -> str:
        """The name without the trailing 族, as printed on ID cards (回, 维吾尔)."""
        return self.name_zh.removesuffix("族")

    @property
    def name_en(self) -> str:
        """English display name: the external name if any, else the romanization."""
        return self.external_name or self.roman


@cache
def all_ethnicities() -> tuple[Ethnicity, ...]:
    """All 56 groups in the standard's code order."""
    return tuple(
        Ethnicity(
            code=row["code"],
            name_zh=row["name_zh"],
            roman=row["roman"],
            alpha2=row["alpha2"],
            is_minority=row["is_minority"] == "1",
            external_name=row["external_name"] or None,
        )
        for row in read_csv("ethnicities.csv")
    )


@cache
def _by_code() -> dict[str, Ethnicity]:
    return {e.code: e for e in all_ethnicities()}


@cache
def _by_name() -> dict[str, Ethnicity]:
    index: dict[str, Ethnicity] = {}
    for e in all_ethnicities():
        index[e.name_zh] = e
        index[e.short_name] = e
        index[e.roman.casefold()] = e
        index[e.alpha2.casefold()] = e
        if e.external_name:
            index[e.external_name.casefold()] = e
    return index


def normalize_code(code: str | int) -> str:
    """Two-digit form of a code: 3 -> '03', ' 3 ' -> '03'."""
    text = str(code).strip()
    return text.zfill(2) if text.isdigit() and len(text) <= 2 else text


def by_code(code: str | int) -> Ethnicity | None:
    """The group for a code (01-56, leading zero optional), or None."""
    return _by_code().get(normalize_code(code))


def by_name(name: str) -> Ethnicity | None:
    """The group for a Chinese name with or without 族, a romanization or 2-letter code."""
    text = name.strip()
    index = _by_name()
    return index.get(text) or index.get(text.casefold())


def is_valid_code(code: str | int) -> bool:
    """True if the code is one of the 56 (01-56)."""
    return by_code(code) is not None


def minorities() -> tuple[Ethnicity, ...]:
    """The 55 minority groups (all but 汉族)."""
    return tuple(e for e in all_ethnicities() if e.is_minority)
