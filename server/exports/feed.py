"""The change feed for department systems: registry events within the caller's share, in commit order.

Why a cursor by event id is safe: ``registry_events.cursor`` comes from a
sequence, and a sequence hands out values at insert, not at commit, so two
writers could commit out of order and a reader that had passed the higher
cursor would skip the lower one for good. The registry prevents that (see
server/registry/feed.py): on PostgreSQL every transaction that writes an
event first takes one transaction-scoped advisory lock (``lock_feed``) and
holds it to commit, so events become visible in cursor order; SQLite
serializes writers anyway. A reader that saw cursor N therefore never later
finds a new event below N, and "everything after my cursor" is exact.

Each item is one event (created, updated, moved, departed, returned, merged,
unmerged) with the record's state *at that version* (from entity_versions),
masked as the caller's purpose says: properties outside it left out, ID and
phone numbers opened only for duties that need them (audited per page). An
event is in the caller's share when the version it made, or the version
before it, lies in the caller's scope and purpose: a record that leaves the
share (moved away, a case routed to another department) comes once more as
``remove``, so a mirror drops it. Replaying from cursor 0 rebuilds the share
exactly; the status at an older version follows from the events' kinds, and
at the current version it is the record's own.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.accounts.models import User
from server.audit.service import record
from server.domain.departments import CASE_DATASET
from server.errors import AppError, BadRequestError
from server.exports.shaping import Shaper
from server.registry import service, store
from server.registry.models import Entity, EntityStatus, EntityVersion, EventKind, RegistryEvent
from server.scope import in_purpose, path_in_scope, reads_dataset, require_dataset, scope_clause
from server.sealing.crypto import current_sealer

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


def encode(cursor: int) -> str:
    """An opaque feed cursor."""
    return base64.urlsafe_b64encode(f"f{cursor}".encode()).decode().rstrip("=")


def decode(token: str | None) -> int:
    """The event cursor a token stands for (0: from the start); 400 when it is not one of ours."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not raw.startswith("f"):
            raise ValueError(raw)
        value = int(raw[1:])
        if value < 0:
            raise ValueError(raw)
        return value
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("cursor is not one this feed gave out", code="feed.bad_cursor",
                              message_zh="游标无效", errors={"cursor": ["invalid"]}) from None


def _status(kind: str, entity_uuid: str, merged: str | None, at_current: bool, current: str) -> str:
    """The record's status after an event (exact at its current version, from the kind before it)."""
    if at_current:
        return current
    if kind == EventKind.DEPARTED.value:
        return EntityStatus.DEPARTED.value
    if kind == EventKind.MERGED.value and merged == entity_uuid:
        return EntityStatus.MERGED.value
    return EntityStatus.ACTIVE.value


def _datasets(session: Session, user: User, dataset: str | None) -> dict[int, store.DatasetRef]:
    if dataset is not None:
        if dataset not in store.declared(session):
            raise AppError(f"no dataset {dataset!r}", status=422, code="feed.unknown_dataset",
                           message_zh="没有该数据集", errors={"dataset": ["unknown"]})
        require_dataset(session, user, dataset, code="feed.dataset_not_found")
        names = [dataset]
    else:
        names = [n for n in store.declared(session) if reads_dataset(user, n)]
    refs = [store.get_dataset(session, n) for n in names]
    return {ref.id: ref for ref in refs}


def read_feed(session: Session, user: User, cursor: str | None, limit: int | None = None,
              dataset: str | None = None) -> dict[str, Any]:
    """The caller's events after the cursor: ``{items, next_cursor, has_more}``."""
    service.require_reader(user)
    after = decode(cursor)
    refs = _datasets(session, user, dataset)
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    if not refs:
        return {"items": [], "next_cursor": encode(after), "has_more": False}
    now_v, before_v = aliased(EntityVersion), aliased(EntityVersion)
    rows = list(session.execute(
        select(RegistryEvent.cursor, RegistryEvent.dataset_id, RegistryEvent.kind, RegistryEvent.version,
               RegistryEvent.event_date, RegistryEvent.detail["merged"].as_string().label("merged"),
               RegistryEvent.at, Entity.uuid,
               Entity.version.label("current_version"), Entity.status.label("current_status"),
               now_v.label, now_v.properties, now_v.sealed, now_v.unit_path,
               before_v.properties.label("before_properties"), before_v.unit_path.label("before_path"))
        .join(Entity, Entity.id == RegistryEvent.entity_id)
        .join(now_v, and_(now_v.entity_id == RegistryEvent.entity_id, now_v.version == RegistryEvent.version))
        .outerjoin(before_v, and_(before_v.entity_id == RegistryEvent.entity_id,
                                  before_v.version == RegistryEvent.version - 1))
        .where(RegistryEvent.cursor > after, RegistryEvent.dataset_id.in_(list(refs)),
               or_(scope_clause(user, RegistryEvent.unit_path),
                   scope_clause(user, func.coalesce(RegistryEvent.previous_unit_path, RegistryEvent.unit_path)),
                   scope_clause(user, func.coalesce(before_v.unit_path, RegistryEvent.unit_path))))
        .order_by(RegistryEvent.cursor).limit(limit)))
    sealer = current_sealer()
    shapers = {ds_id: Shaper(ref.spec, user, sealer) for ds_id, ref in refs.items()}
    # Decided once per page: a path's scope (a page holds few distinct paths), and the purpose of a
    # dataset other than cases (in_purpose reads a record's properties only for cases).
    in_scope = lru_cache(maxsize=None)(lambda path: path_in_scope(user, path))
    whole = {ds_id: in_purpose(user, ref.spec.name, {}) for ds_id, ref in refs.items()
             if ref.spec.name != CASE_DATASET}

    def purpose_has(ds_id: int, properties: Any) -> bool:
        fixed = whole.get(ds_id)
        return fixed if fixed is not None else in_purpose(user, refs[ds_id].spec.name, properties or {})

    items: list[dict[str, Any]] = []
    for row in rows:
        name = refs[row.dataset_id].spec.name
        shared_now = in_scope(row.unit_path) and purpose_has(row.dataset_id, row.properties)
        shared_before = row.before_path is not None and in_scope(row.before_path) and purpose_has(
            row.dataset_id, row.before_properties)
        if not shared_now and not shared_before:
            continue
        item: dict[str, Any] = {"cursor": encode(row.cursor), "dataset": name, "kind": row.kind,
                                "uuid": row.uuid, "version": row.version, "event_date": row.event_date,
                                "at": service.iso(row.at)}
        if shared_now:
            item["op"] = "upsert"
            item["state"] = {
                "label": row.label, "unit_path": row.unit_path,
                "status": _status(row.kind, row.uuid, row.merged, row.version == row.current_version,
                                  row.current_status),
                "properties": shapers[row.dataset_id].properties(row.properties, row.sealed),
            }
        else:
            item["op"] = "remove"
        items.append(item)
    for ds_id, shaper in shapers.items():
        if shaper.revealed_records:
            record(session, user.id, "registry.feed", target_type=f"registry.{refs[ds_id].spec.name}",
                   detail={**shaper.audit_detail(), "after": after})
    last = rows[-1].cursor if rows else after
    return {"items": items, "next_cursor": encode(last), "has_more": len(rows) == limit}
