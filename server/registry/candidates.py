"""Finding duplicate candidates city-wide through the indexed blocking keys (scoring is dedup.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, or_, select
from sqlalchemy.orm import Session, lazyload

from server.registry import dedup, store
from server.registry.models import CandidateStatus, DuplicateCandidate, Entity, EntityStatus

_COLUMNS = (
    Entity.id,
    Entity.name_key,
    Entity.name_pinyin,
    Entity.birth_date,
    Entity.origin_code,
    Entity.phone_hash,
    Entity.id_hash,
    Entity.unit_path,
    # Only the address is compared: extract it in SQL rather than decoding every record's properties.
    func.coalesce(Entity.properties["current_address"].as_string(), Entity.properties["address"].as_string()).label(
        "address"
    ),
)


# One statement per combination of blocking keys present (and whether a record is excluded), built on
# first use and then only bound: the merge searches once per new or re-keyed record.
_BLOCKING: dict[tuple[bool, bool, bool, bool], Select[Any]] = {}


def blocking_query(
    dataset_id: int, cols: dict[str, Any], exclude_id: int | None = None
) -> tuple[Select[Any], dict[str, Any]] | None:
    """Rows sharing a blocking key with ``cols``, across the whole city (no scope: dedup spans grids).

    The statement and its parameters; None when ``cols`` has no blocking key.
    """
    shape = (
        bool(cols.get("block_key")),
        bool(cols.get("phone_hash")),
        bool(cols.get("birth_date") and cols.get("origin_code")),
        exclude_id is not None,
    )
    if not any(shape[:3]):
        return None
    query = _BLOCKING.get(shape)
    if query is None:
        keys = []
        if shape[0]:
            keys.append(Entity.block_key == bindparam("block_key"))
        if shape[1]:
            keys.append(Entity.phone_hash == bindparam("phone_hash"))
        if shape[2]:
            same_birth = Entity.birth_date == bindparam("birth_date")
            keys.append(same_birth & (Entity.origin_code == bindparam("origin_code")))
        query = select(*_COLUMNS).where(
            Entity.dataset_id == bindparam("dataset_id"), Entity.status != EntityStatus.MERGED.value, or_(*keys)
        )
        if shape[3]:
            query = query.where(Entity.id != bindparam("exclude_id"))
        query = _BLOCKING[shape] = query.limit(dedup.MAX_CANDIDATES * 4)
    params: dict[str, Any] = {"dataset_id": dataset_id}
    if shape[0]:
        params["block_key"] = cols["block_key"]
    if shape[1]:
        params["phone_hash"] = cols["phone_hash"]
    if shape[2]:
        params["birth_date"], params["origin_code"] = cols["birth_date"], cols["origin_code"]
    if shape[3]:
        params["exclude_id"] = exclude_id
    return query, params


def search(
    session: Session, dataset_id: int, cols: dict[str, Any], address: str | None = None, exclude_id: int | None = None
) -> list[tuple[Mapping[str, Any], dedup.Score]]:
    """Scored near matches for a profile, best first, above the candidate threshold."""
    blocking = blocking_query(dataset_id, cols, exclude_id)
    if blocking is None:
        return []
    return rank(cols, address, (dict(row._mapping) for row in session.execute(*blocking)))


def rank(
    cols: Mapping[str, Any], address: str | None, rows: Iterable[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], dedup.Score]]:
    """Blocking rows (mappings of ``blocking_query``'s columns) scored against a profile: candidates, best first."""
    me = dedup.Profile(
        cols.get("name_key"),
        cols.get("name_pinyin"),
        cols.get("birth_date"),
        cols.get("origin_code"),
        cols.get("phone_hash"),
        address,
    )
    scored = []
    for row in rows:
        other = dedup.profile_from(row, row["address"])
        different = bool(cols.get("id_hash") and row["id_hash"] and row["id_hash"] != cols["id_hash"])
        if not dedup.may_be_candidate(me, other, 0.8 if different else 1.0):
            continue  # cannot reach the threshold: not worth the fuzzy comparisons
        result = dedup.score(me, other)
        if different:
            result = dedup.Score(round(result.total * 0.8, 4), result.reasons)  # different ID numbers: less likely
        if result.is_candidate:
            scored.append((row, result))
    scored.sort(key=lambda item: (-item[1].total, item[0]["id"]))  # ties: the older record first, on any plan
    return scored[: dedup.MAX_CANDIDATES]


def find_for(session: Session, ds: store.DatasetRef, entity: Entity) -> list[int]:
    """Queue the entity's near matches as candidates (existing pairs are rescored, not duplicated)."""
    if not (ds.spec.identity.strong or ds.spec.identity.near):
        return []  # a dataset without identity keys (follow-ups) is never deduplicated
    cols = {
        k: getattr(entity, k)
        for k in ("name_key", "name_pinyin", "block_key", "birth_date", "origin_code", "phone_hash", "id_hash")
    }
    address_prop = store.address_property(ds.spec)
    address = entity.properties.get(address_prop) if address_prop else None
    ids = []
    for row, result in search(session, ds.id, cols, address, exclude_id=entity.id):
        ids.append(upsert_candidate(session, ds.id, entity, row["id"], row["unit_path"], result))
    return ids


def upsert_candidate(
    session: Session, dataset_id: int, entity: Entity, other_id: int, other_path: str, result: dedup.Score
) -> int:
    """One candidate row per pair (lower id first); an open pair gets the new score."""
    a_id, b_id = sorted((entity.id, other_id))
    path_a, path_b = (entity.unit_path, other_path) if a_id == entity.id else (other_path, entity.unit_path)
    row = session.scalar(_PAIR, {"a": a_id, "b": b_id})
    reasons = [r.as_dict() for r in result.reasons]
    if row is None:
        new_id: int = session.execute(
            _PAIR_INSERT,
            {
                "dataset_id": dataset_id,
                "entity_a_id": a_id,
                "entity_b_id": b_id,
                "score": result.total,
                "reasons": reasons,
                "status": CandidateStatus.OPEN.value,
                "path_a": path_a,
                "path_b": path_b,
                "revision": 1,
            },
        ).scalar_one()
        return new_id
    if row.status == CandidateStatus.OPEN.value:
        row.score, row.reasons, row.path_a, row.path_b = result.total, reasons, path_a, path_b
        row.revision += 1
    return row.id


# The pair's row without its two entities (the relationships load joined by default; the merge only rescores).
_PAIR = (
    select(DuplicateCandidate)
    .options(lazyload(DuplicateCandidate.entity_a), lazyload(DuplicateCandidate.entity_b))
    .where(DuplicateCandidate.entity_a_id == bindparam("a"), DuplicateCandidate.entity_b_id == bindparam("b"))
)
_CANDIDATES = cast(Table, DuplicateCandidate.__table__)
_PAIR_INSERT = _CANDIDATES.insert().returning(_CANDIDATES.c.id)
