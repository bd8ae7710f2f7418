"""The batch merge's SQL: bulk reads and multi-row writes of records, versions, events, candidates and results.

Why it bypasses the ORM: a job process merges tens to hundreds of submissions
per transaction, and through the ORM each one cost a savepoint, a flush and
six to ten single-row statements, so the client spent more CPU on the unit of
work than PostgreSQL spent on the rows. The batch merge (batch.py) reads what a
whole batch needs in a few statements (claims, records by uuid, id or ID-number
hash, blocking keys, candidate pairs), works out every record's new state in
Python, and writes the batch back here with one statement per table: records
are plain rows to it, never ORM objects, so there is no session state to keep
in step. Everything runs on the session's own connection, inside the caller's
transaction (one boundary per job, as before).

Each statement is built once at import. New rows go in with COPY on
PostgreSQL (binding a statement per row cost more client CPU than the rows'
own values) and executemany on SQLite; updates go by executemany. This is the one
place the batch merge's SQL lives: batch.py calls these by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from geoalchemy2 import Geometry
from sqlalchemy import JSON, Insert, String, Table, and_, any_, bindparam, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from server.registry import store
from server.registry.models import (
    AppliedSource,
    DuplicateCandidate,
    Entity,
    EntityStatus,
    EntityVersion,
    RegistryEvent,
)

_ENTITIES = cast(Table, Entity.__table__)
_VERSIONS = cast(Table, EntityVersion.__table__)
_EVENTS = cast(Table, RegistryEvent.__table__)
_SOURCES = cast(Table, AppliedSource.__table__)
_PAIRS = cast(Table, DuplicateCandidate.__table__)

# What the merge reads of a record (not its point: only a located submission writes that, never reads it).
RECORD_COLUMNS = (
    "id", "uuid", "dataset_id", "label", "properties", "sealed", "version", "status", "unit_path", "grid_code",
    "merged_into_id", "followed_id", "conflict", *store.SEARCH_COLUMNS,
)
# The columns an update writes (with ``geometry`` too when the submission located the record).
UPDATED_COLUMNS = (
    "version", "status", "unit_path", "grid_code", "followed_id", "conflict", "updated_at", "label", "properties",
    "sealed", *store.SEARCH_COLUMNS,
)
NEW_COLUMNS = (
    "uuid", "dataset_id", "version", "status", "unit_path", "grid_code", "geometry", "followed_id", "created_by",
    "label", "properties", "sealed", *store.SEARCH_COLUMNS,
)
VERSION_COLUMNS = (
    "entity_id", "version", "base_version", "label", "properties", "sealed", "changed", "unit_path",
    "author_id", "source_type", "source_id", "conflict", "conflict_detail",
)
EVENT_COLUMNS = (
    "dataset_id", "entity_id", "kind", "version", "unit_path", "previous_unit_path", "event_date", "actor_id",
    "source_type", "source_id", "detail",
)
RESULT_COLUMNS = ("source_key", "outcome", "entity_id", "source_id", "dataset", "unit_path", "detail")

def _member(column: Any, name: str) -> dict[str, Any]:
    """``column`` is one of the list bound as ``name``, per dialect.

    PostgreSQL takes the list as one array (``= ANY``): an expanding IN of
    hundreds of values is a statement text too long for the driver's cache,
    re-parsed on every batch. SQLite takes the expanding IN.
    """
    return {"postgresql": column == any_(bindparam(name, type_=ARRAY(column.type))),
            "sqlite": column.in_(bindparam(name, expanding=True))}


def _each_dialect(build: Any, *members: tuple[Any, str]) -> dict[str, Any]:
    return {dialect: build(*(_member(column, name)[dialect] for column, name in members))
            for dialect in ("postgresql", "sqlite")}


_RECORDS = select(*(_ENTITIES.c[k] for k in RECORD_COLUMNS))
_LIVE = (_ENTITIES.c.dataset_id == bindparam("dataset_id"), _ENTITIES.c.status != EntityStatus.MERGED.value)
_BY_UUID = _each_dialect(lambda uuid: _RECORDS.where(uuid).with_for_update(), (_ENTITIES.c.uuid, "uuids"))
_BY_ID = _each_dialect(lambda id_: _RECORDS.where(id_).with_for_update(), (_ENTITIES.c.id, "ids"))
_BY_ID_HASH = _each_dialect(lambda digest: _RECORDS.where(*_LIVE, digest).order_by(_ENTITIES.c.id).with_for_update(),
                            (_ENTITIES.c.id_hash, "digests"))
_UUIDS_TAKEN = _each_dialect(lambda uuid: select(_ENTITIES.c.uuid).where(uuid), (_ENTITIES.c.uuid, "uuids"))
_CLAIMED = _each_dialect(lambda key: select(_SOURCES.c.source_key).where(key), (_SOURCES.c.source_key, "keys"))
# Only the address is compared: extracted in SQL rather than decoding every record's properties.
_ADDRESS = func.coalesce(
    _ENTITIES.c.properties["current_address"].as_string(), _ENTITIES.c.properties["address"].as_string()
).label("address")
_BLOCKING = select(
    *(_ENTITIES.c[k] for k in ("id", "name_key", "name_pinyin", "birth_date", "origin_code", "phone_hash", "id_hash",
                               "unit_path", "status", "dataset_id", "block_key")),
    _ADDRESS,
).where(*_LIVE)
# One statement per kind of blocking key, each on its own index (an OR of them would not use them all).
_BY_BLOCK = _each_dialect(_BLOCKING.where, (_ENTITIES.c.block_key, "values"))
_BY_PHONE = _each_dialect(_BLOCKING.where, (_ENTITIES.c.phone_hash, "values"))
_BIRTH_KEYS = func.unnest(bindparam("births", type_=ARRAY(String)), bindparam("origins", type_=ARRAY(String))
                          ).table_valued("birth", "origin").render_derived(name="birth_keys")
_BY_BIRTH = {  # PostgreSQL: the pairs as two aligned arrays, joined on the (birth date, origin) index
    "postgresql": _BLOCKING.join(_BIRTH_KEYS, and_(_ENTITIES.c.birth_date == _BIRTH_KEYS.c.birth,
                                                   _ENTITIES.c.origin_code == _BIRTH_KEYS.c.origin)),
    "sqlite": _BLOCKING.where(tuple_(_ENTITIES.c.birth_date, _ENTITIES.c.origin_code).in_(
        bindparam("pairs", expanding=True))),
}
# Ids for new records, drawn before they are written (they order candidate pairs, and nothing is read back).
_NEW_IDS = {
    "postgresql": text("SELECT nextval(pg_get_serial_sequence('entities', 'id')) FROM generate_series(1, :n)"),
    "sqlite": text("SELECT coalesce(max(id), 0) FROM entities"),  # the writer holds the database (BEGIN IMMEDIATE)
}

# The one insert-or-ignore: a single submission's claim, which a concurrent run of it waits on (unique key).
_CLAIM: dict[str, Insert] = {
    name: insert(_SOURCES).on_conflict_do_nothing(index_elements=["source_key"]).returning(_SOURCES.c.id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_INSERT_RECORDS = _ENTITIES.insert()
_UPDATE_RECORDS = {
    located: _ENTITIES.update().where(_ENTITIES.c.id == bindparam("record_id")).values(
        {k: bindparam(k) for k in (*UPDATED_COLUMNS, "geometry")[: len(UPDATED_COLUMNS) + located]})
    for located in (False, True)
}
_INSERT_VERSIONS = _VERSIONS.insert()
_INSERT_EVENTS = _EVENTS.insert()
_INSERT_RESULTS = _SOURCES.insert()
_INSERT_PAIRS = _PAIRS.insert().returning(_PAIRS.c.id, sort_by_parameter_order=True)
_UPDATE_PAIRS = _PAIRS.update().where(_PAIRS.c.id == bindparam("pair_id")).values(
    score=bindparam("score"), reasons=bindparam("reasons"), path_a=bindparam("path_a"), path_b=bindparam("path_b"),
    revision=bindparam("revision"),
)


def _run(session: Session, statement: Any, params: Any = None) -> Any:
    """Execute on the session's connection; a statement built per dialect is picked for the connection's."""
    connection = session.connection()
    if isinstance(statement, dict):
        statement = statement[connection.dialect.name]
    return connection.execute(statement, params)


# --------------------------------------------------------------------------- reads


def claim(session: Session, key: str) -> int | None:
    """Record that this source is being applied (merge.py, one submission); None if it already was.

    A concurrent run of the same submission blocks on the unique key until the
    first commits, then finds the row and does nothing.
    """
    connection = session.connection()
    claim_id: int | None = connection.execute(
        _CLAIM[connection.dialect.name], {"source_key": key, "outcome": "pending"}
    ).scalar()
    return claim_id


def claimed(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these sources (claim keys) the registry has merged before."""
    keys = sorted(set(keys))
    return set(_run(session, _CLAIMED, {"keys": keys}).scalars()) if keys else set()


def records_by_uuid(session: Session, uuids: Iterable[str]) -> list[dict[str, Any]]:
    """The records with these uuids, locked for update."""
    uuids = sorted(set(uuids))
    return [dict(row._mapping) for row in _run(session, _BY_UUID, {"uuids": uuids})] if uuids else []


def records_by_id(session: Session, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The records with these ids, locked for update."""
    ids = sorted(set(ids))
    return [dict(row._mapping) for row in _run(session, _BY_ID, {"ids": ids})] if ids else []


def records_by_id_hash(session: Session, dataset_id: int, digests: Iterable[str]) -> list[dict[str, Any]]:
    """The dataset's live (not merged-away) records whose ID-number hash is one of these, by id, locked."""
    digests = sorted(set(digests))
    if not digests:
        return []
    return [dict(row._mapping) for row in _run(session, _BY_ID_HASH, {"dataset_id": dataset_id, "digests": digests})]


def uuids_taken(session: Session, uuids: Iterable[str]) -> set[str]:
    """Which of these uuids name a record already."""
    uuids = sorted(set(uuids))
    return set(_run(session, _UUIDS_TAKEN, {"uuids": uuids}).scalars()) if uuids else set()


def blocking_rows(
    session: Session,
    dataset_id: int,
    blocks: Iterable[str],
    phones: Iterable[str],
    births: Iterable[tuple[str, str]],
) -> list[dict[str, Any]]:
    """The dataset's live records sharing any of these blocking keys (candidates.py's keys, many at once)."""
    rows: dict[int, dict[str, Any]] = {}
    pairs = sorted(set(births))
    on_postgresql = session.connection().dialect.name == "postgresql"
    birth_params = ({"births": [b for b, _ in pairs], "origins": [o for _, o in pairs]} if on_postgresql
                    else {"pairs": pairs})
    for statement, values, params in (
        (_BY_BLOCK, blocks := sorted(set(blocks)), {"values": blocks}),
        (_BY_PHONE, phones := sorted(set(phones)), {"values": phones}),
        (_BY_BIRTH, pairs, birth_params),
    ):
        if values:
            for row in _run(session, statement, {"dataset_id": dataset_id, **params}):
                rows.setdefault(row.id, dict(row._mapping))
    return list(rows.values())


def new_record_ids(session: Session, count: int, after: int = 0) -> list[int]:
    """``count`` ids for new records, ascending, above ``after`` (ids drawn before and not yet written).

    PostgreSQL: from the sequence; SQLite: after the highest stored.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return list(connection.execute(_NEW_IDS["postgresql"], {"n": count}).scalars())
    highest = max(int(connection.execute(_NEW_IDS["sqlite"]).scalar_one()), after)
    return list(range(highest + 1, highest + 1 + count))


def pairs(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
    """The candidate rows of these (lower id, higher id) pairs: id, status and revision, by pair."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    query = select(_PAIRS.c.id, _PAIRS.c.entity_a_id, _PAIRS.c.entity_b_id, _PAIRS.c.status, _PAIRS.c.revision).where(
        tuple_(_PAIRS.c.entity_a_id, _PAIRS.c.entity_b_id).in_(keys)
    )
    return {(row.entity_a_id, row.entity_b_id): dict(row._mapping) for row in _run(session, query)}


def refresh_statistics(session: Session) -> None:
    """Have the database re-sample the record and claim tables (after a bulk load has grown them).

    The planner picks the blocking and claim lookups' indexes by the tables'
    row counts; measured on a table it believes empty, it scans the whole
    dataset for every batch instead (what made a first import slow down as
    it went).
    """
    for table in ("entities", "registry_sources"):
        _run(session, text(f"ANALYZE {table}"))


# --------------------------------------------------------------------------- writes


def _copy_value(column: Any, value: Any) -> Any:
    """A value as COPY's text format takes it: JSON as its text, a point as EWKT."""
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return json.dumps(value)
    if isinstance(column.type, Geometry):
        return f"SRID={value.srid};{value.desc}"
    return value


def _append(session: Session, table: Table, statement: Any, columns: Sequence[str],
            rows: Sequence[Mapping[str, Any]]) -> None:
    """Append rows to a table: COPY on PostgreSQL (no statement per row to bind and send), else executemany."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(statement, [{k: row[k] for k in columns} for row in rows])
        return
    targets = [table.c[k] for k in columns]
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_copy_value(column, row[column.name]) for column in targets])


def insert_records(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new records (``id`` from ``new_record_ids`` and ``NEW_COLUMNS``)."""
    _append(session, _ENTITIES, _INSERT_RECORDS, ("id", *NEW_COLUMNS), rows)


def update_records(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write records' new state (``record_id`` and ``UPDATED_COLUMNS``, plus ``geometry`` where present)."""
    by_shape: dict[bool, list[dict[str, Any]]] = {}
    for row in rows:
        values = {"record_id": row["record_id"], **{k: row[k] for k in UPDATED_COLUMNS}}
        if row.get("geometry") is not None:
            values["geometry"] = row["geometry"]
        by_shape.setdefault("geometry" in values, []).append(values)
    for located, params in by_shape.items():
        _run(session, _UPDATE_RECORDS[located], params)


def insert_pairs(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert new duplicate candidates, in order; their ids, in the same order."""
    return list(_run(session, _INSERT_PAIRS, list(rows)).scalars()) if rows else []


def update_pairs(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rescore open candidates (``pair_id``, score, reasons, path_a, path_b, revision)."""
    if rows:
        _run(session, _UPDATE_PAIRS, list(rows))


def insert_versions(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append entity versions (``VERSION_COLUMNS``)."""
    _append(session, _VERSIONS, _INSERT_VERSIONS, VERSION_COLUMNS, rows)


def insert_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append registry events (``EVENT_COLUMNS``) in this order: their cursors follow it."""
    _append(session, _EVENTS, _INSERT_EVENTS, EVENT_COLUMNS, rows)


def insert_results(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Claim sources with their merge results (``RESULT_COLUMNS``) in one statement.

    The caller holds the change-feed lock (history.lock_feed) and checked
    ``claimed`` under it, so no other writer can claim one of these in
    between; a claim that exists anyway fails the whole batch (the unique key)
    rather than writing a source twice.
    """
    _append(session, _SOURCES, _INSERT_RESULTS, RESULT_COLUMNS, rows)
