"""Finding duplicate candidates city-wide through the indexed blocking keys (scoring is dedup.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

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


def blocking_query(dataset_id: int, cols: dict[str, Any], exclude_id: int | None = None) -> Select[Any] | None:
    """Rows sharing a blocking key with ``cols``, across the whole city (no scope: dedup spans grids)."""
    keys = []
    if cols.get("block_key"):
        keys.append(Entity.block_key == cols["block_key"])
    if cols.get("phone_hash"):
        keys.append(Entity.phone_hash == cols["phone_hash"])
    if cols.get("birth_date") and cols.get("origin_code"):
        keys.append((Entity.birth_date == cols["birth_date"]) & (Entity.origin_code == cols["origin_code"]))
    if not keys:
        return None
    query = select(*_COLUMNS).where(
        Entity.dataset_id == dataset_id, Entity.status != EntityStatus.MERGED.value, or_(*keys)
    )
    if exclude_id is not None:
        query = query.where(Entity.id != exclude_id)
    return query.limit(dedup.MAX_CANDIDATES * 4)


def search(
    session: Session, dataset_id: int, cols: dict[str, Any], address: str | None = None, exclude_id: int | None = None
) -> list[tuple[Any, dedup.Score]]:
    """Scored near matches for a profile, best first, above the candidate threshold."""
    query = blocking_query(dataset_id, cols, exclude_id)
    if query is None:
        return []
    me = dedup.Profile(
        cols.get("name_key"),
        cols.get("name_pinyin"),
        cols.get("birth_date"),
        cols.get("origin_code"),
        cols.get("phone_hash"),
        address,
    )
    scored = []
    for row in session.execute(query):
        result = dedup.score(me, dedup.profile_from(row._mapping, row.address))
        if cols.get("id_hash") and row.id_hash and row.id_hash != cols["id_hash"]:
            result = dedup.Score(round(result.total * 0.8, 4), result.reasons)  # different ID numbers: less likely
        if result.is_candidate:
            scored.append((row, result))
    scored.sort(key=lambda item: -item[1].total)
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
        ids.append(upsert_candidate(session, ds.id, entity, row.id, row.unit_path, result))
    return ids


def upsert_candidate(
    session: Session, dataset_id: int, entity: Entity, other_id: int, other_path: str, result: dedup.Score
) -> int:
    """One candidate row per pair (lower id first); an open pair gets the new score."""
    a_id, b_id = sorted((entity.id, other_id))
    path_a, path_b = (entity.unit_path, other_path) if a_id == entity.id else (other_path, entity.unit_path)
    row = session.scalar(
        select(DuplicateCandidate).where(DuplicateCandidate.entity_a_id == a_id, DuplicateCandidate.entity_b_id == b_id)
    )
    reasons = [r.as_dict() for r in result.reasons]
    if row is None:
        row = DuplicateCandidate(
            dataset_id=dataset_id,
            entity_a_id=a_id,
            entity_b_id=b_id,
            score=result.total,
            reasons=reasons,
            status=CandidateStatus.OPEN.value,
            path_a=path_a,
            path_b=path_b,
            revision=1,
        )
        session.add(row)
        session.flush()
    elif row.status == CandidateStatus.OPEN.value:
        row.score, row.reasons, row.path_a, row.path_b = result.total, reasons, path_a, path_b
        row.revision += 1
    return row.id
