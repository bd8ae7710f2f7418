"""Open follow-ups move with their person.

A follow-up (``followups`` in forms/datasets.yaml: a need such as a job,
schooling, medical care, legal aid or relief, or an appeal or dispute the
city is following up) names its person in an ``entity`` property, and its
placement ``follows`` that property: it is created in the person's grid and
points at the person through ``entities.followed_id``. When the person moves
(a transfer, a return to a new grid, a supervisor accepting a held move),
``move_open_followups`` runs in the same transaction and moves each of their
follow-ups for which ``moves_while`` holds (status open or in progress) to the person's new
grid: a new version and its own ``moved`` event, so the new grid's worker
gets it in sync and search and the old grid's worker gets a ``remove``.
Closed follow-ups stay where they were handled, and submissions always keep
the grid they were made in. When a supervisor merges two records of one
person, ``repoint_followers`` hands the merged-away record's follow-ups to the
survivor (and an unmerge hands back exactly those).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.domain.datasets import DatasetSpec
from server.registry import history, moves, store
from server.registry.models import Dataset, Entity, EntityStatus, EventKind
from server.sealing.crypto import Sealer


def is_open(spec: DatasetSpec, properties: Mapping[str, Any]) -> bool:
    """True while the record moves with the one it follows (its ``moves_while`` holds)."""
    condition = spec.placement.moves_while
    return condition is None or properties.get(condition[0]) in condition[1]


def following(session: Session, dataset_id: int) -> dict[int, DatasetSpec]:
    """Datasets whose records follow records of this one: dataset id -> declaration."""
    row = session.get(Dataset, dataset_id)
    if row is None:
        return {}
    out = {}
    for name, spec in store.declared(session).items():
        follows = spec.placement.follows
        if follows and spec.properties[follows].dataset == row.name:
            out[store.get_dataset(session, name).id] = spec
    return out


def move_open_followups(
    session: Session,
    entity: Entity,
    old_path: str,
    new_path: str,
    *,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    event_date: str | None,
) -> None:
    """Move the open records that follow ``entity`` to its new grid (a ``moved`` event each)."""
    specs = following(session, entity.dataset_id)
    if not specs:
        return
    rows = session.scalars(
        select(Entity)
        .where(
            Entity.followed_id == entity.id,
            Entity.dataset_id.in_(list(specs)),
            Entity.status == EntityStatus.ACTIVE.value,
        )
        .order_by(Entity.id)
        .with_for_update()
    )
    target = moves.Placement(new_path, entity.grid_code, None, True, linked_id=entity.id)
    for row in rows:
        if not is_open(specs[row.dataset_id], row.properties) or row.unit_path == new_path:
            continue
        row.version += 1
        moves.transfer(
            session,
            row,
            target,
            actor_id=actor_id,
            source_type=source_type,
            source_id=source_id,
            event_date=event_date,
            detail={"with": entity.uuid},
        )
        history.write_version(
            session,
            row,
            base_version=row.version - 1,
            changed=[],
            author_id=actor_id,
            source_type=source_type,
            source_id=source_id,
        )


def repoint_followers(
    session: Session,
    sealer: Sealer,
    old: Entity,
    new: Entity,
    *,
    only: Collection[str] | None = None,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
) -> list[str]:
    """Records that follow ``old`` follow ``new`` instead: a merge of duplicates, or its undoing.

    Each names the new person in its link property and ``followed_id``; an open
    one also moves to the new person's grid (``moved``), a closed one stays
    where it was handled (``updated``). ``only`` limits it to those uuids (an
    unmerge takes back exactly what its merge moved). Returns the uuids moved over.
    """
    specs = following(session, old.dataset_id)
    if not specs:
        return []
    query = (select(Entity)
             .where(Entity.followed_id == old.id, Entity.dataset_id.in_(list(specs)),
                    Entity.status == EntityStatus.ACTIVE.value)
             .order_by(Entity.id).with_for_update())
    if only is not None:
        query = query.where(Entity.uuid.in_(list(only)))
    target = moves.Placement(new.unit_path, new.grid_code, None, True, linked_id=new.id)
    done: list[str] = []
    for row in session.scalars(query):
        spec = specs[row.dataset_id]
        link = spec.placement.follows
        assert link is not None  # following() lists only datasets that follow
        props = {**store.full_properties(row, sealer), link: new.uuid}
        row.version += 1
        store.set_properties(row, spec, props, sealer)
        row.followed_id = new.id
        detail = {"with": new.uuid, "instead_of": old.uuid}
        moved = is_open(spec, props) and moves.transfer(
            session, row, target, actor_id=actor_id, source_type=source_type, source_id=source_id,
            event_date=None, detail=detail)
        if not moved:
            history.emit(session, row, EventKind.UPDATED.value, actor_id=actor_id, source_type=source_type,
                       source_id=source_id, detail=detail)
        history.write_version(session, row, base_version=row.version - 1, changed=[link], author_id=actor_id,
                            source_type=source_type, source_id=source_id)
        done.append(row.uuid)
    return done
