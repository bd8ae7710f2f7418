"""Delta sync by cursor: a device pulls only what changed in its scope since it last asked.

Without a cursor the answer is a snapshot of every live record in the
caller's scope, paged by keyset on (unit path, id) so each page is one index
range; the last page hands over a *delta* cursor: the change feed's high-water
mark taken when the snapshot began (event cursors commit in order, see
history.py, so nothing committed later can hide below it). A delta reads the
events after the cursor whose old or new unit path lies in scope, keeps the
last one per record, and answers ``upsert`` with the record's current state,
or ``remove`` when the record left the scope (moved away, merged).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.paging import decode_state, encode_state
from server.registry import service, store
from server.registry.models import Entity, EntityStatus, RegistryEvent
from server.scope import (
    in_purpose,
    path_in_scope,
    purpose_clause,
    purpose_of,
    require_dataset,
    scope_clause,
    scope_paths,
    sees_everything,
)

DEFAULT_LIMIT = 5000
MAX_LIMIT = 100_000


class RawJson(str):
    """An item the database already serialised; ``dumps`` splices it in as it is."""


def dumps(page: dict[str, Any]) -> str:
    """The page as JSON text, splicing pre-serialised items without parsing them."""
    items = ",".join(
        i if isinstance(i, RawJson) else json.dumps(i, ensure_ascii=False, default=str) for i in page["items"]
    )
    rest = json.dumps({k: v for k, v in page.items() if k != "items"}, ensure_ascii=False)
    return '{"items":[' + items + "]," + rest[1:]


def _item_json(session: Session) -> Any:
    """SQL that renders a snapshot item as JSON text, so a large snapshot is never parsed in Python."""
    fields = (
        "op",
        literal("upsert"),
        "uuid",
        Entity.uuid,
        "label",
        Entity.label,
        "version",
        Entity.version,
        "status",
        Entity.status,
        "grid_code",
        Entity.grid_code,
    )
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.json_build_object(*fields, "properties", Entity.properties), Text)
    return func.json_object(*fields, "properties", func.json(Entity.properties))


def _valid_state(state: Any) -> bool:
    return isinstance(state, dict) and state.get("m") in ("s", "d") and isinstance(state.get("c"), int)


def high_water(session: Session, dataset_id: int) -> int:
    """The change feed's last cursor for the dataset (0 when empty)."""
    return int(
        session.scalar(
            select(func.coalesce(func.max(RegistryEvent.cursor), 0)).where(RegistryEvent.dataset_id == dataset_id)
        )
        or 0
    )


_COLUMNS = (
    Entity.id,
    Entity.uuid,
    Entity.label,
    Entity.version,
    Entity.status,
    Entity.grid_code,
    Entity.unit_path,
    Entity.properties,
    Entity.sealed,
)


def _item(ds: store.DatasetRef, entity: Any, viewer: service.Viewer) -> dict[str, Any]:
    return {
        "op": "upsert",
        "uuid": entity.uuid,
        "label": entity.label,
        "version": entity.version,
        "status": entity.status,
        "grid_code": entity.grid_code,
        "properties": viewer.show_row(ds.spec, entity.uuid, entity.properties, entity.sealed),
    }


def sync(session: Session, user: User, dataset: str, cursor: str | None, limit: int | None = None) -> dict[str, Any]:
    """One page of the caller's changes: ``{items, next_cursor, has_more}``."""
    service.require_reader(user)
    ds = store.get_dataset(session, dataset)
    require_dataset(session, user, dataset)
    viewer = service.Viewer.masked(user)  # sync pages are masked for every role: no sealer needed
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    state = decode_state(cursor, _valid_state) if cursor else {"m": "s", "c": high_water(session, ds.id)}
    page = (
        _snapshot(session, ds, viewer, state, limit) if state["m"] == "s" else _delta(session, ds, viewer, state, limit)
    )
    viewer.audit(session, dataset, "registry.sync")
    return page


def _prefixes(user: User) -> list[str | None]:
    """The caller's scope as sorted, non-overlapping subtree prefixes ([None]: the whole city)."""
    if sees_everything(user):
        return [None]
    out: list[str | None] = []
    for path in sorted(set(scope_paths(user))):
        if not any(p is not None and path.startswith(p) for p in out):
            out.append(path)
    return out


def _snapshot(
    session: Session, ds: store.DatasetRef, viewer: service.Viewer, state: dict[str, Any], limit: int
) -> dict[str, Any]:
    """One page of live records in scope, in (unit path, id) order.

    One index range per scope subtree, in order, instead of one query ORing
    every subtree: each range comes off the (unit_path, id) index already
    sorted, so a hundred-thousand-row scope needs no sort and no heap scan of
    the whole table.
    """
    # Grid workers see stored properties as they are (sensitive ones already masked): let SQL render them.
    as_stored = not viewer.full and viewer.ethnicity and purpose_of(viewer.user) is None
    columns = (_item_json(session), Entity.unit_path, Entity.id) if as_stored else _COLUMNS
    last_path, last_id = state.get("p"), state.get("i")
    if session.get_bind().dialect.name == "postgresql" and limit > 10_000:
        # A big page sorts tens of megabytes: keep the sort in memory for this transaction only.
        session.execute(text("SET LOCAL work_mem = '128MB'"))
    rows: list[Any] = []
    for prefix in _prefixes(viewer.user):
        if prefix is not None and last_path is not None and last_path > prefix and not last_path.startswith(prefix):
            continue  # this subtree was finished on an earlier page
        query = select(*columns).where(
            Entity.dataset_id == ds.id,
            Entity.status != EntityStatus.MERGED.value,
            scope_clause(viewer.user, Entity.unit_path),
            purpose_clause(viewer.user, ds.spec.name, Entity.properties),
        )
        if prefix is not None:
            query = query.where(Entity.unit_path.startswith(prefix, autoescape=True))
        if last_path is not None:
            query = query.where(tuple_(Entity.unit_path, Entity.id) > tuple_(last_path, last_id))
        query = query.order_by(Entity.unit_path, Entity.id).limit(limit + 1 - len(rows))
        # Core execution: no ORM row processing for what may be a hundred thousand rows.
        rows.extend(session.connection().execute(query))
        if len(rows) > limit:
            break
    items: list[Any] = [RawJson(r[0]) if as_stored else _item(ds, r, viewer) for r in rows[:limit]]
    if len(rows) > limit:
        last = rows[limit - 1]
        state = {"m": "s", "c": state["c"], "p": last.unit_path, "i": last.id}
        return {"items": items, "next_cursor": encode_state(state), "has_more": True}
    return {"items": items, "next_cursor": encode_state({"m": "d", "c": state["c"]}), "has_more": False}


def _delta(
    session: Session, ds: store.DatasetRef, viewer: service.Viewer, state: dict[str, Any], limit: int
) -> dict[str, Any]:
    user = viewer.user
    events = list(
        session.execute(
            select(RegistryEvent.cursor, RegistryEvent.entity_id)
            .where(
                RegistryEvent.dataset_id == ds.id,
                RegistryEvent.cursor > state["c"],
                or_(
                    scope_clause(user, RegistryEvent.unit_path),
                    scope_clause(user, func.coalesce(RegistryEvent.previous_unit_path, RegistryEvent.unit_path)),
                ),
            )
            .order_by(RegistryEvent.cursor)
            .limit(limit)
        )
    )
    if not events:
        return {"items": [], "next_cursor": encode_state(state), "has_more": False}
    order: dict[int, int] = {}
    for cursor, entity_id in events:
        order.pop(entity_id, None)
        order[entity_id] = cursor
    entities = {e.id: e for e in session.execute(select(*_COLUMNS).where(Entity.id.in_(list(order))))}
    items = []
    for entity_id in order:
        entity = entities[entity_id]
        readable = path_in_scope(user, entity.unit_path) and in_purpose(user, ds.spec.name, entity.properties)
        if entity.status != EntityStatus.MERGED.value and readable:
            items.append(_item(ds, entity, viewer))
        else:
            items.append(
                {
                    "op": "remove",
                    "uuid": entity.uuid,
                    "version": entity.version,
                    "reason": "merged" if entity.status == EntityStatus.MERGED.value else "out_of_scope",
                }
            )
    next_cursor = encode_state({"m": "d", "c": events[-1][0]})
    return {"items": items, "next_cursor": next_cursor, "has_more": len(events) == limit}
