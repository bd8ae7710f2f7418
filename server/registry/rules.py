"""Pure registry rules: property values, conflicts, residence transitions and who sees what.

Nothing here touches the database, so each rule has plain unit tests
(tests/registry/test_rules.py). The merge service applies them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from server.domain import phone as phones
from server.domain import pinyin, resident_id
from server.domain.datasets import DatasetSpec, PropertySpec, PropertyType

# --------------------------------------------------------------------------- property values


def _to_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()[:10]
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def coerce(spec: PropertySpec, value: Any) -> Any:
    """A submitted value in the property's canonical form; None when empty or unusable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.type is PropertyType.CN_RESIDENT_ID:
        return resident_id.to_18(str(value))
    if spec.type is PropertyType.PHONE:
        return phones.normalize(str(value)) or str(value).strip()
    if spec.type is PropertyType.DATE:
        return _to_date(value)
    if spec.type is PropertyType.INTEGER:
        try:
            return int(float(str(value)))
        except ValueError:
            return None
    if spec.type is PropertyType.SELECT and spec.multiple and isinstance(value, list):
        return " ".join(str(v) for v in value)
    if spec.type is PropertyType.ETHNICITY_CODE:
        text = str(value).strip()
        return text.zfill(2) if text.isdigit() else text
    return str(value).strip() if not isinstance(value, (int, float)) else str(value)


@lru_cache(maxsize=65536)
def _full_pinyin(name: str) -> str:
    return pinyin.full_pinyin(name)


def derive(dataset: DatasetSpec, props: dict[str, Any]) -> dict[str, Any]:
    """Fill server-computed properties (pinyin of a name) from the values they derive from."""
    out = dict(props)
    for spec in dataset.properties.values():
        if spec.derive is None or spec.derive.source not in props:
            continue
        source = props[spec.derive.source]
        if spec.derive.using == "pinyin":
            out[spec.name] = _full_pinyin(source) if source else None
        elif spec.derive.using == "id_birth_date" and source:
            out[spec.name] = resident_id.birth_date(source).isoformat()
        elif spec.derive.using == "id_sex" and source:
            out[spec.name] = resident_id.sex(source)
    return out


def normalise(dataset: DatasetSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Submitted values for declared properties, coerced and with derivations filled."""
    props = {
        name: coerce(dataset.properties[name], value)
        for name, value in raw.items()
        if name in dataset.properties and dataset.properties[name].derive is None
    }
    return derive(dataset, props)


def changed_properties(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> list[str]:
    """Names whose incoming value differs from the current one (None never erases a value)."""
    return sorted(k for k, v in incoming.items() if v is not None and current.get(k) != v)


def apply_changes(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The new property set: current values overwritten by the incoming non-empty ones."""
    out = dict(current)
    out.update({k: v for k, v in incoming.items() if v is not None})
    return out


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class ConflictCheck:
    """How an update relates to the versions it did not see."""

    kind: str | None  # None, "soft" or "hard"
    overlapping: tuple[str, ...]
    unseen: tuple[str, ...]


def classify_conflict(
    base_version: int | None, current_version: int, changed_since_base: Iterable[str], incoming_changed: Iterable[str]
) -> ConflictCheck:
    """ODK Central's rule: an update against an older base is applied, and flagged soft or hard.

    Soft: the versions it did not see changed other properties. Hard: at least
    one property it changes was also changed since its base version.
    """
    if base_version is None or base_version >= current_version:
        return ConflictCheck(None, (), ())
    unseen = set(changed_since_base)
    overlap = tuple(sorted(unseen & set(incoming_changed)))
    return ConflictCheck("hard" if overlap else "soft", overlap, tuple(sorted(unseen)))


# --------------------------------------------------------------------------- residence


class Move(StrEnum):
    """What a located change does to the person's residence."""

    NONE = "none"
    TRANSFER = "moved"
    DEPART = "departed"
    RETURN = "returned"


def residence_transition(status: str, old_path: str, new_path: str | None, departing: bool) -> Move:
    """Arrival is the creation itself; then transfer, departure and return follow these rules.

    A departure (move-out) never relocates: the person leaves from where they
    lived, whatever grid the form was filled in. A departed person seen again
    in a located, non-departure submission has returned (and may be in a new
    grid). Otherwise a grid change is a transfer.
    """
    if departing:
        return Move.NONE if status == "departed" else Move.DEPART
    if status == "departed":
        return Move.RETURN
    if new_path is not None and new_path != old_path:
        return Move.TRANSFER
    return Move.NONE


def is_departure(props: Mapping[str, Any]) -> bool:
    """True when the incoming values say the person left (move-out form)."""
    return props.get("residence_status") == "departed"


def grid_code_of(path: str) -> str | None:
    """The last code of a unit path (the grid, when placed at grid level)."""
    codes = [c for c in path.strip("/").split("/") if c]
    return codes[-1] if codes else None
