"""A record's values: the datasets they belong to, how they are stored, and what they are searched by.

Datasets and their declarations in force come from declarations.py (the
database, one cache). Sensitive values are split off and sealed here; search
columns are computed here. Versions, events and the feed lock are written in
history.py (the append-only rules in one place).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.domain import resident_id
from server.domain.datasets import DatasetSpec, PropertyType
from server.registry import declarations, dedup
from server.registry.models import Entity, EntityVersion
from server.sealing.crypto import Sealer
from server.sealing.masking import SEALED_TYPES, mask_value


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset's id and name and its typed declaration (the one in force, or at a given moment)."""

    id: int
    name: str
    spec: DatasetSpec


def declared(session: Session) -> dict[str, DatasetSpec]:
    """Every dataset's declaration in force (declarations.py: one loader, one cache)."""
    return declarations.catalog(session)


def get_dataset(session: Session, name: str, at: datetime | None = None) -> DatasetRef:
    """A declared dataset with its declaration in force now (or at ``at``), or 404."""
    spec = declarations.spec(session, name, at)
    return DatasetRef(declarations.in_force(session)[name].dataset_id, name, spec)


# --------------------------------------------------------------------------- values and columns


def split_sealed(spec: DatasetSpec, props: Mapping[str, Any], sealer: Sealer) -> tuple[dict[str, Any], dict[str, str]]:
    """Plain properties (sensitive ones only in masked form) and sealed tokens for ID and phone numbers."""
    plain: dict[str, Any] = {}
    sealed: dict[str, str] = {}
    for name, value in props.items():
        prop = spec.properties.get(name)
        if prop is not None and prop.type in SEALED_TYPES and value is not None:
            sealed[name] = sealer.seal(name, str(value))
            plain[name] = mask_value(prop.type, str(value))  # the display form; the value itself is sealed
        elif value is not None:
            plain[name] = value
    return plain, sealed


def open_sealed(sealed: Mapping[str, str], sealer: Sealer) -> dict[str, str]:
    """The plain values of sealed tokens."""
    return {name: sealer.open(name, token) for name, token in sealed.items()}


def full_properties(entity: Entity | EntityVersion, sealer: Sealer) -> dict[str, Any]:
    """An entity's (or version's) properties with sensitive values opened."""
    return {**entity.properties, **open_sealed(entity.sealed or {}, sealer)}


def _first(spec: DatasetSpec, ptype: PropertyType, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if spec.properties[n].type is ptype), None)


def name_property(spec: DatasetSpec) -> str:
    """The property holding the person's name (the source of the pinyin derivation)."""
    for prop in spec.properties.values():
        if prop.derive is not None and prop.derive.using == "pinyin":
            return prop.derive.source
    return spec.label_property


def id_property(spec: DatasetSpec) -> str | None:
    """The strong key holding a resident ID number, if any."""
    return _first(spec, PropertyType.CN_RESIDENT_ID, spec.identity.strong)


def phone_property(spec: DatasetSpec) -> str | None:
    """The phone number used for dedup and search."""
    return _first(spec, PropertyType.PHONE, spec.identity.near) or _first(
        spec, PropertyType.PHONE, tuple(spec.properties)
    )


def address_property(spec: DatasetSpec) -> str | None:
    """The address used as the co-resident signal."""
    return next((n for n in ("current_address", "address") if n in spec.properties), None)


# The keys ``search_columns`` returns.
SEARCH_COLUMNS = (
    "name_key", "name_pinyin", "name_initials", "block_key", "birth_date", "origin_code", "ethnicity",
    "arrival_date", "id_hash", "phone_hash",
)


def search_columns(spec: DatasetSpec, props: Mapping[str, Any], sealer: Sealer) -> dict[str, Any]:
    """The entity's indexed search and blocking columns for these full properties."""
    id_prop, phone_prop = id_property(spec), phone_property(spec)
    id_number = props.get(id_prop) if id_prop else None
    birth = props.get("birth_date") if "birth_date" in spec.properties else None
    if not birth and id_number:
        try:
            birth = resident_id.birth_date(id_number).isoformat()
        except ValueError:
            birth = None
    origin_prop = _first(spec, PropertyType.DIVISION_CODE, spec.identity.near)
    ethnicity_prop = _first(spec, PropertyType.ETHNICITY_CODE, tuple(spec.properties))
    keys = dedup.blocking_keys(props.get(name_property(spec)), birth)
    phone = props.get(phone_prop) if phone_prop else None
    return {
        "name_key": keys.name_key,
        "name_pinyin": keys.name_pinyin,
        "name_initials": keys.name_initials,
        "block_key": keys.block_key,
        "birth_date": birth,
        "origin_code": props.get(origin_prop) if origin_prop else None,
        "ethnicity": props.get(ethnicity_prop) if ethnicity_prop else None,
        "arrival_date": props.get("arrival_date"),
        "id_hash": sealer.digest("resident_id", id_number) if id_number else None,
        "phone_hash": sealer.digest("phone", phone) if phone else None,
    }


def hash_matches(column: Any, sealer: Sealer, kind: str, value: str) -> Any:
    """WHERE clause: the stored keyed hash is this value's, under the current or a retired key (sealing/crypto.py)."""
    digests = sealer.digests(kind, value)
    return column == digests[0] if len(digests) == 1 else column.in_(digests)


def stored_values(
    spec: DatasetSpec, props: Mapping[str, Any], sealer: Sealer, label: str, search: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The columns that hold these full properties: plain, sealed, label (else ``label``) and search columns.

    ``search``: the search columns of these same properties, when the caller has worked them out already.
    """
    plain, sealed = split_sealed(spec, props, sealer)
    values = {"properties": plain, "sealed": sealed, "label": str(props.get(spec.label_property) or label or "")[:200]}
    values.update(search if search is not None else search_columns(spec, props, sealer))
    return values


def set_properties(entity: Entity, spec: DatasetSpec, props: Mapping[str, Any], sealer: Sealer) -> None:
    """Store full properties on the entity: plain, sealed, label and search columns."""
    for key, value in stored_values(spec, props, sealer, entity.label).items():
        setattr(entity, key, value)
