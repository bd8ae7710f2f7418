"""Low-level registry writes shared by the merge, moves and supervisor decisions.

Datasets are loaded from forms/datasets.yaml into the ``datasets`` table on
first use (idempotent: a row is rewritten only when the declaration's digest
changes). Sensitive values are split off and sealed here; search columns are
computed here; and every version and event is written here, so the
append-only rules live in one place.

Change-feed order: ``registry_events.cursor`` comes from a sequence, and
sequence values are handed out at insert time, not at commit. Two merges
committing out of order could let a reader skip the lower cursor for good. On
PostgreSQL every transaction that writes the registry therefore takes one
transaction-scoped advisory lock, *before* any row lock (so writers never
wait on each other in opposite orders); commits, and so visible cursors, stay
in order. Registry writes are short, so they queue briefly behind each other;
SQLite serializes writers anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.orm import Session, load_only

from server.domain import resident_id
from server.domain.datasets import DatasetSpec, PropertyType, load_datasets
from server.errors import NotFoundError
from server.registry import dedup
from server.registry.crypto import Sealer
from server.registry.models import AppliedSource, Dataset, Entity, EntityVersion, RegistryEvent
from server.registry.rules import SEALED_TYPES, mask_value
from server.settings import Settings

FEED_LOCK = 0x67726567  # "greg": the change feed's advisory lock id


@dataclass(frozen=True)
class DatasetRef:
    """A dataset's row and its typed declaration."""

    row: Dataset
    spec: DatasetSpec

    @cached_property
    def id(self) -> int:
        """The row id (kept: the row itself expires at every commit, and reading it would reload it)."""
        return self.row.id


@lru_cache(maxsize=1)
def declared() -> dict[str, DatasetSpec]:
    """The dataset declarations from forms/datasets.yaml (read once per process)."""
    return load_datasets()


def _row_values(spec: DatasetSpec) -> dict[str, Any]:
    properties = [
        {
            "name": p.name,
            "type": p.type.value,
            "label_zh": p.label_zh,
            "label_en": p.label_en,
            "sensitive": p.sensitive,
            "required": p.required,
            "list": p.list_name,
            "multiple": p.multiple,
            "derived": p.derive is not None,
            **({"dataset": p.dataset} if p.dataset else {}),
        }
        for p in spec.properties.values()
    ]
    values: dict[str, Any] = {
        "label_zh": spec.label_zh,
        "label_en": spec.label_en,
        "label_property": spec.label_property,
        "properties": properties,
        "identity": {"strong": list(spec.identity.strong), "near": list(spec.identity.near)},
        "placement": {
            "geopoint": spec.placement.geopoint,
            "level": spec.placement.level,
            "on_missing": spec.placement.on_missing,
            "on_outside": spec.placement.on_outside,
            **({"follows": spec.placement.follows} if spec.placement.follows else {}),
            **({"moves_while": dict([spec.placement.moves_while])} if spec.placement.moves_while else {}),
        },
        "merge_requires_approval": spec.merge_requires_approval,
    }
    values["digest"] = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
    return values


@lru_cache(maxsize=16)
def _digest(name: str) -> str:
    return str(_row_values(declared()[name])["digest"])


def ensure_datasets(session: Session) -> dict[str, Dataset]:
    """Load every declared dataset into the table; rows already current are left alone."""
    rows = {d.name: d for d in session.scalars(select(Dataset))}
    for name, spec in declared().items():
        values = _row_values(spec)
        row = rows.get(name)
        if row is None:
            row = Dataset(name=name, **values)
            session.add(row)
            rows[name] = row
        elif row.digest != values["digest"]:
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = datetime.now(UTC)
    session.flush()
    return rows


# The row's declaration columns (large JSON) stay unloaded: callers read the typed spec instead.
_DATASET_BY_NAME = (
    select(Dataset)
    .options(load_only(Dataset.id, Dataset.name, Dataset.digest))
    .where(Dataset.name == bindparam("name"))
)


def get_dataset(session: Session, name: str) -> DatasetRef:
    """A declared dataset (loaded into the table on first use), or 404."""
    spec = declared().get(name)
    if spec is None:
        raise NotFoundError(f"no dataset {name}", code="registry.dataset_not_found", message_zh="数据集不存在")
    cache: dict[str, DatasetRef] = session.info.setdefault("registry_datasets", {})
    cached = cache.get(name)
    if cached is not None and cached.row in session:
        return cached
    row = session.scalar(_DATASET_BY_NAME, {"name": name})
    if row is None or row.digest != _digest(name):
        row = ensure_datasets(session)[name]
    cache[name] = DatasetRef(row, spec)
    return cache[name]


def current_sealer(settings: Settings | None = None) -> Sealer:
    """The sealer for the running process: the app's settings in a request, the worker's in a job."""
    if settings is None:
        from flask import current_app, has_app_context

        if has_app_context():
            settings = current_app.extensions["gridreg"].settings
        else:
            from server import worker

            settings = worker.settings()
    return Sealer.from_settings(settings)


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
    """WHERE clause: the stored keyed hash is this value's, under the current or a retired key (see crypto.py)."""
    digests = sealer.digests(kind, value)
    return column == digests[0] if len(digests) == 1 else column.in_(digests)


def set_properties(entity: Entity, spec: DatasetSpec, props: Mapping[str, Any], sealer: Sealer) -> None:
    """Store full properties on the entity: plain, sealed, label and search columns."""
    plain, sealed = split_sealed(spec, props, sealer)
    entity.properties = plain
    entity.sealed = sealed
    entity.label = str(props.get(spec.label_property) or entity.label or "")[:200]
    for key, value in search_columns(spec, props, sealer).items():
        setattr(entity, key, value)


# --------------------------------------------------------------------------- versions and events


# Core statements with bound parameters: compiled once, so the hot path does not re-walk the values.
_VERSIONS = cast(Table, EntityVersion.__table__)
_EVENTS = cast(Table, RegistryEvent.__table__)
_SOURCES = cast(Table, AppliedSource.__table__)
_ENTITIES = cast(Table, Entity.__table__)
_VERSION_INSERT = _VERSIONS.insert()
_EVENT_INSERT = _EVENTS.insert()


def _version_row(
    entity: Entity,
    *,
    base_version: int | None,
    changed: list[str],
    author_id: int | None,
    source_type: str,
    source_id: str | None,
    conflict: str | None = None,
    conflict_detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "entity_id": entity.id,
        "version": entity.version,
        "base_version": base_version,
        "label": entity.label,
        "properties": dict(entity.properties),
        "sealed": dict(entity.sealed),
        "changed": list(changed),
        "unit_path": entity.unit_path,
        "author_id": author_id,
        "source_type": source_type,
        "source_id": source_id,
        "conflict": conflict,
        "conflict_detail": conflict_detail,
    }


def write_version(
    session: Session,
    entity: Entity,
    *,
    base_version: int | None,
    changed: list[str],
    author_id: int | None,
    source_type: str,
    source_id: str | None,
    conflict: str | None = None,
    conflict_detail: dict[str, Any] | None = None,
) -> None:
    """Append the entity's current state as its version ``entity.version`` (an insert, never an update)."""
    # A plain INSERT rather than an ORM object: versions are never changed through the session (only
    # conflict resolution marks them, with its own query), and the merge is the registry's hot path.
    session.execute(
        _VERSION_INSERT,
        _version_row(
            entity,
            base_version=base_version,
            changed=changed,
            author_id=author_id,
            source_type=source_type,
            source_id=source_id,
            conflict=conflict,
            conflict_detail=conflict_detail,
        ),
    )


def lock_feed(session: Session) -> None:
    """Keep event cursors committing in order (PostgreSQL; SQLite serializes writers).

    Taken once per transaction: batch callers take it before their first
    savepoint, so that it is held by the outer transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    root = session.get_transaction()
    if root is not None and session.info.get("registry_feed_lock") is root:
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
    session.info["registry_feed_lock"] = session.get_transaction()


def _event_row(
    entity: Entity,
    kind: str,
    *,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    previous_path: str | None = None,
    event_date: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "dataset_id": entity.dataset_id,
        "entity_id": entity.id,
        "kind": kind,
        "version": entity.version,
        "unit_path": entity.unit_path,
        "previous_unit_path": previous_path,
        "event_date": event_date,
        "actor_id": actor_id,
        "source_type": source_type,
        "source_id": source_id,
        "detail": detail or {},
    }


def emit(
    session: Session,
    entity: Entity,
    kind: str,
    *,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    previous_path: str | None = None,
    event_date: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one registry event for the entity's current version (its cursor is taken now)."""
    lock_feed(session)
    session.execute(
        _EVENT_INSERT,
        _event_row(
            entity,
            kind,
            actor_id=actor_id,
            source_type=source_type,
            source_id=source_id,
            previous_path=previous_path,
            event_date=event_date,
            detail=detail,
        ),
    )


_VERSION_KEYS = (
    "entity_id", "version", "base_version", "label", "properties", "sealed", "changed", "unit_path",
    "author_id", "source_type", "source_id", "conflict", "conflict_detail",
)
_EVENT_KEYS = (
    "dataset_id", "entity_id", "kind", "version", "unit_path", "previous_unit_path", "event_date", "actor_id",
    "source_type", "source_id", "detail",
)


def _bound(table: Table, keys: tuple[str, ...], prefix: str) -> dict[str, Any]:
    return {key: bindparam(prefix + key, type_=table.c[key].type) for key in keys}


_RESULT_KEYS = ("outcome", "entity_id", "source_id", "dataset", "unit_path", "detail")
# A merge result on its claim row (registry_sources): parameters are r_claim_id and r_<column>.
_RESULT_UPDATE = _SOURCES.update().where(_SOURCES.c.id == bindparam("r_claim_id")).values(
    _bound(_SOURCES, _RESULT_KEYS, "r_")
)
# PostgreSQL: the version insert (and the merge result) ride along as data-modifying CTEs of the event
# insert: one round trip.
_VERSION_AND_EVENT = _EVENTS.insert().values(_bound(_EVENTS, _EVENT_KEYS, "e_")).add_cte(
    _VERSIONS.insert().values(_bound(_VERSIONS, _VERSION_KEYS, "v_")).cte("new_version")
)
_COMBINED: dict[tuple[bool, tuple[str, ...]], Any] = {}  # by (with a result, entity columns written)
_ENTITY_ROW_UPDATE = _ENTITIES.update().where(_ENTITIES.c.id == bindparam("u_entity_row"))


def _combined(with_result: bool, entity_keys: tuple[str, ...]) -> Any:
    """The version + event insert with the merge result and the entity's UPDATE as further CTEs, built once."""
    stmt = _COMBINED.get((with_result, entity_keys))
    if stmt is None:
        stmt = _VERSION_AND_EVENT
        if with_result:
            stmt = stmt.add_cte(_RESULT_UPDATE.cte("merge_result"))
        if entity_keys:
            stmt = stmt.add_cte(_ENTITY_ROW_UPDATE.values(_bound(_ENTITIES, entity_keys, "u_")).cte("changed_entity"))
        _COMBINED[(with_result, entity_keys)] = stmt
    return stmt


def record_result(session: Session, claim_id: int, result: Mapping[str, Any]) -> None:
    """Write a merge result (outcome, entity_id, source_id, dataset, unit_path, detail) on its claim row."""
    session.execute(_RESULT_UPDATE, {"r_claim_id": claim_id, **{f"r_{k}": result[k] for k in _RESULT_KEYS}})


def write_version_and_emit(
    session: Session,
    entity: Entity,
    kind: str,
    *,
    version: dict[str, Any],
    event: dict[str, Any],
    result: tuple[int, Mapping[str, Any]] | None = None,
    entity_values: Mapping[str, Any] | None = None,
) -> None:
    """``write_version(**version)``, ``emit(kind, **event)`` and ``record_result(*result)``.

    ``entity_values``: columns to write on the entity's own row first (a
    Core UPDATE; the caller keeps the object in step). One statement on
    PostgreSQL: the merge's hot path writes all of these for every submission.
    """
    if session.get_bind().dialect.name != "postgresql":
        if entity_values:
            session.execute(_ENTITY_ROW_UPDATE, {"u_entity_row": entity.id, **entity_values})
        write_version(session, entity, **version)
        emit(session, entity, kind, **event)
        if result is not None:
            record_result(session, *result)
        return
    lock_feed(session)
    params = {f"v_{k}": v for k, v in _version_row(entity, **version).items()}
    params.update({f"e_{k}": v for k, v in _event_row(entity, kind, **event).items()})
    if result is not None:
        params["r_claim_id"] = result[0]
        params.update({f"r_{k}": result[1][k] for k in _RESULT_KEYS})
    if entity_values:
        params["u_entity_row"] = entity.id
        params.update({f"u_{k}": v for k, v in entity_values.items()})
    session.execute(_combined(result is not None, tuple(entity_values or ())), params)
