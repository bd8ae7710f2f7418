"""GB/T 2260 administrative divisions (province, prefecture, county) from the 2023 NBS tables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from server.domain._reference import read_csv

Level = Literal["province", "prefecture", "county"]

# Placeholder prefecture names in the NBS tables that are not part of a place's name.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Address codes used in ID numbers / residence permits that are not counties (HK, Macao, Taiwan).
SPECIAL_ADDRESS_CODES = frozenset({"710000", "810000", "820000"})


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative unit: code (2, 4 or 6 digits), name, level and parent code."""

    code: str
    name: str
    level: Level
    parent_code: str | None

    @property
    def code6(self) -> str:
        """The 6-digit GB/T 2260 form of the code (e.g. 410000, 410100, 410184)."""
        return self.code.ljust(6, "0")

    @property
    def is_placeholder(self) -> bool:
        """True for NBS grouping rows such as 市辖区 that are not real places."""
        return self.name in PLACEHOLDER_NAMES


@dataclass(frozen=True, slots=True)
class _Tables:
    by_code: dict[str, Division]
    children: dict[str | None, tuple[Division, ...]]


@cache
def _tables() -> _Tables:
    by_code: dict[str, Division] = {}
    for row in read_csv("provinces.csv"):  # 34 rows: adds 71, 81, 82 to the NBS 31
        by_code[row["code"]] = Division(row["code"], row["name_zh"], "province", None)
    for row in read_csv("china-division-2023", "cities.csv"):
        by_code[row["code"]] = Division(row["code"], row["name"], "prefecture", row["provinceCode"])
    for row in read_csv("china-division-2023", "areas.csv"):
        by_code[row["code"]] = Division(row["code"], row["name"], "county", row["cityCode"])
    children: dict[str | None, list[Division]] = {}
    for division in by_code.values():
        children.setdefault(division.parent_code, []).append(division)
    return _Tables(
        by_code=by_code,
        children={k: tuple(sorted(v, key=lambda d: d.code)) for k, v in children.items()},
    )


def _candidates(code: str) -> list[str]:
    code = code.strip()
    if len(code) == 12 and code.isdigit():  # NBS statistical code: keep the county part
        code = code[:6]
    if len(code) == 6 and code.isdigit():
        candidates = [code]
        if code.endswith("00"):
            candidates.append(code[:4])
            if code.endswith("0000"):
                candidates.append(code[:2])
        return candidates
    return [code]


def get(code: str) -> Division | None:
    """The division for a 2/4/6-digit (or 6-digit zero-padded, or 12-digit) code, or None."""
    by_code = _tables().by_code
    for candidate in _candidates(code):
        if candidate in by_code:
            return by_code[candidate]
    return None


def chain(code: str) -> list[Division]:
    """The division and its ancestors, province first; empty if the code is unknown."""
    division = get(code)
    result: list[Division] = []
    while division is not None:
        result.append(division)
        division = _tables().by_code.get(division.parent_code) if division.parent_code else None
    return list(reversed(result))


def full_name(code: str) -> str:
    """Province + prefecture + county names without placeholders, e.g. 河南省郑州市新郑市."""
    return "".join(d.name for d in chain(code) if not d.is_placeholder)


def provinces() -> tuple[Division, ...]:
    """All 34 provincial-level units in code order."""
    return _tables().children.get(None, ())


def children(code: str) -> tuple[Division, ...]:
    """Direct sub-units (prefectures of a province, counties of a prefecture)."""
    division = get(code)
    return _tables().children.get(division.code, ()) if division else ()


def counties() -> tuple[Division, ...]:
    """All county-level units in code order."""
    return tuple(d for d in sorted(_tables().by_code.values(), key=lambda d: d.code) if d.level == "county")


def is_known_county(code: str) -> bool:
    """True if the 6-digit code is a county-level unit in the 2023 table."""
    division = _tables().by_code.get(code.strip())
    return division is not None and division.level == "county"


def is_known_address_code(code: str) -> bool:
    """True for a known county or an HK/Macao/Taiwan address code (810000, 820000, 710000)."""
    return is_known_county(code) or code.strip() in SPECIAL_ADDRESS_CODES


def province_of(code: str) -> Division | None:
    """The province a code belongs to (by its first two digits)."""
    return _tables().by_code.get(code.strip()[:2])
