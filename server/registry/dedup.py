"""Duplicate scoring: how alike two registry records are, and why.

An exact strong key (the resident ID number, compared by keyed hash) is not
scored here: the merge treats it as the same person. Everything else is a
near match that only ever becomes a *candidate* for a supervisor. Candidates
are found city-wide through blocking keys kept in indexed columns (pinyin
initials + birth year, phone hash, birth date + origin county; a name alone is
too common a key, and a pair matching on nothing else scores at most 0.6),
so a search touches a handful of rows even at a million persons; each one
found is then scored by ``score`` with rapidfuzz:

- name in characters (a typo or a variant character still scores high),
- name in pinyin (homophones: 马晓红 / 马小红),
- birth date (same day; same year and month-day swapped),
- origin county (same county, or same prefecture),
- phone (same keyed hash),
- co-residents (same current address).

Weights add up to 1.0; a pair at or above ``CANDIDATE_THRESHOLD`` goes to the
queue with its reasons, so a supervisor sees *why* two records look alike.
Everything in this module is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from server.domain import pinyin

CANDIDATE_THRESHOLD = 0.6
MAX_CANDIDATES = 50

WEIGHTS = {
    "name": 0.30,
    "pinyin": 0.15,
    "birth_date": 0.25,
    "origin": 0.10,
    "phone": 0.15,
    "co_residents": 0.05,
}


@dataclass(frozen=True)
class Profile:
    """What dedup compares: the search columns of one record plus its address."""

    name: str | None = None
    name_pinyin: str | None = None
    birth_date: str | None = None
    origin_code: str | None = None
    phone_hash: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which feature, how alike (0-1), and its weighted share of the score."""

    feature: str
    similarity: float
    weight: float

    def as_dict(self) -> dict[str, Any]:
        """JSON form stored with the candidate."""
        return {"feature": self.feature, "similarity": round(self.similarity, 3), "points": round(self.weight, 3)}


@dataclass(frozen=True)
class Score:
    """The total and the reasons behind it."""

    total: float
    reasons: tuple[Reason, ...]

    @property
    def is_candidate(self) -> bool:
        """True when the pair belongs in the supervisor's queue."""
        return self.total >= CANDIDATE_THRESHOLD


@dataclass(frozen=True)
class BlockingKeys:
    """Indexed keys that find possible duplicates without comparing against everyone."""

    name_key: str | None
    name_pinyin: str | None
    name_initials: str | None
    block_key: str | None


@lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str, str]:
    """Cleaned name, full pinyin and initials (cached: names repeat, and pypinyin is the costly part)."""
    cleaned = pinyin.clean_name(name)
    return cleaned, pinyin.full_pinyin(cleaned), pinyin.initials(cleaned)


def blocking_keys(name: str | None, birth_date: str | None) -> BlockingKeys:
    """Cleaned name, full pinyin, initials, and initials + birth year (``mxh1985``)."""
    if not name:
        return BlockingKeys(None, None, None, None)
    cleaned, full, inits = name_keys(name)
    year = birth_date[:4] if birth_date else ""
    return BlockingKeys(cleaned or None, full or None, inits or None, (inits + year) if inits else None)


def _name_similarity(a: str, b: str) -> float:
    # Profiles carry cleaned names (the name_key column): no per-pair normalisation in the hot loop.
    return fuzz.ratio(a, b) / 100.0


def _birth_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a[:4] == b[:4] and len(a) == len(b) == 10 and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return 0.8  # month and day swapped
    if a[:7] == b[:7]:
        return 0.5
    if a[:4] == b[:4]:
        return 0.3
    return 0.0


def _origin_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return 0.5 if a[:4] == b[:4] else 0.0


def score(a: Profile, b: Profile) -> Score:
    """Similarity of two records, 0-1, with one reason per feature that matched at all."""
    reasons: list[Reason] = []

    def add(feature: str, similarity: float) -> None:
        if similarity > 0:
            reasons.append(Reason(feature, similarity, WEIGHTS[feature] * similarity))

    if a.name and b.name:
        sim = _name_similarity(a.name, b.name)
        add("name", sim if sim >= 0.5 else 0.0)
    if a.name_pinyin and b.name_pinyin:
        sim = fuzz.ratio(a.name_pinyin, b.name_pinyin) / 100.0
        add("pinyin", sim if sim >= 0.75 else 0.0)
    if a.birth_date and b.birth_date:
        add("birth_date", _birth_similarity(a.birth_date, b.birth_date))
    if a.origin_code and b.origin_code:
        add("origin", _origin_similarity(a.origin_code, b.origin_code))
    if a.phone_hash and b.phone_hash:
        add("phone", 1.0 if a.phone_hash == b.phone_hash else 0.0)
    if a.address and b.address:
        sim = fuzz.token_sort_ratio(a.address, b.address) / 100.0
        add("co_residents", sim if sim >= 0.9 else 0.0)
    total = min(1.0, sum(r.weight for r in reasons))
    return Score(round(total, 4), tuple(sorted(reasons, key=lambda r: -r.weight)))


# The most the fuzzily compared features (name, pinyin, address) can add to a pair's score.
_FUZZY_MOST = WEIGHTS["name"] + WEIGHTS["pinyin"] + WEIGHTS["co_residents"]


def may_be_candidate(a: Profile, b: Profile, factor: float = 1.0) -> bool:
    """False when the pair stays under the threshold however alike its names and addresses are.

    The exactly compared features (birth date, origin, phone) plus the most the
    fuzzy ones could add, times ``factor`` (the search's discount for different
    ID numbers), with a margin for rounding: a pair this rules out is one
    ``score`` would not make a candidate, so the search skips scoring it.
    """
    exact = 0.0
    if a.birth_date and b.birth_date:
        exact += WEIGHTS["birth_date"] * _birth_similarity(a.birth_date, b.birth_date)
    if a.origin_code and b.origin_code:
        exact += WEIGHTS["origin"] * _origin_similarity(a.origin_code, b.origin_code)
    if a.phone_hash and b.phone_hash and a.phone_hash == b.phone_hash:
        exact += WEIGHTS["phone"]
    return (exact + _FUZZY_MOST) * factor + 0.001 >= CANDIDATE_THRESHOLD


def profile_from(columns: Mapping[Any, Any], address: str | None = None) -> Profile:
    """A profile from an entity's search columns (a row mapping or a dict)."""
    return Profile(
        name=columns.get("name_key"),
        name_pinyin=columns.get("name_pinyin"),
        birth_date=columns.get("birth_date"),
        origin_code=columns.get("origin_code"),
        phone_hash=columns.get("phone_hash"),
        address=address,
    )
