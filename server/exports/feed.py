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

A replay reads a million events, so a page is rendered as JSON text by the
database, as delta sync does (server/registry/sync.py): each event's item
with the properties the caller sees as stored, whitelisted to its purpose.
Python only adds what the database cannot: the opaque cursor, the time in
the API's form, and the few values shaped for this caller (sealed values
opened, masked ones masked, by ``Shaper``), spliced into the item's
properties. No event is decoded into a dict on the way.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as quote  # a str as JSON, as json.dumps writes it
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, literal, null, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from server.accounts.models import User
from server.audit.service import record
from server.errors import AppError, BadRequestError
from server.exports.shaping import Shaper
from server.paging import decode_token, encode_token
from server.registry import service, store
from server.registry.models import Entity, EntityStatus, EntityVersion, EventKind, RegistryEvent
from server.registry.sync import RawJson
from server.scope import purpose_clause, reads_dataset, require_dataset, scope_clause
from server.sealing.crypto import Sealer

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


def encode(cursor: int) -> str:
    """An opaque feed cursor."""
    return encode_token(f"f{cursor}")


def _bad_cursor() -> BadRequestError:
    return BadRequestError("cursor is not one this feed gave out", code="feed.bad_cursor",
                           message_zh="游标无效", errors={"cursor": ["invalid"]})


def decode(token: str | None) -> int:
    """The event cursor a token stands for (0: from the start); 400 when it is not one of ours."""
    if not token:
        return 0
    try:
        raw = decode_token(token)
    except BadRequestError:
        raise _bad_cursor() from None
    if not raw.startswith("f") or not raw[1:].isdigit():
        raise _bad_cursor()
    return int(raw[1:])


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


class _Render:
    """SQL that renders an event's item as JSON text (PostgreSQL ``json_build_object``, SQLite ``json_object``)."""

    def __init__(self, session: Session) -> None:
        self.pg = session.get_bind().dialect.name == "postgresql"

    def object(self, *pairs: Any) -> Any:
        """A JSON object from key, value pairs, keys in the order given."""
        return func.json_build_object(*pairs) if self.pg else func.json_object(*pairs)

    def text(self, value: Any) -> Any:
        """A JSON value as text."""
        return cast(value, Text) if self.pg else value

    def has_key(self, document: Any, key: Any) -> Any:
        """True when the JSON object has the key."""
        if self.pg:
            return document.op("?", is_comparison=True)(key)
        return func.json_type(document, "$." + key).is_not(None)

    def picked(self, properties: Any, sealed: Any, shaper: Shaper) -> Any:
        """The record's properties as this caller sees them stored, absent ones left out (a JSON value): the
        caller's readable ones, less those Python shapes (a sealed one that has its token, a masked one that
        has a value)."""
        opened, masked = shaper.opened_names, [n for n, _ in shaper.masked_names]
        stored = [n for n in shaper.names if n not in opened and n not in masked]
        if self.pg:
            # The record's JSON less the keys not kept: a list of keys is cheaper to gather than a new object
            # built value by value (jsonb_object_agg), and the values are never copied out and back.
            key = func.jsonb_object_keys(properties).table_valued("key").render_derived()
            keep = or_(key.c.key.in_(stored), and_(key.c.key.in_(opened), ~self.has_key(sealed, key.c.key)),
                       and_(key.c.key.in_(masked), func.jsonb_typeof(properties.op("->")(key.c.key)) == "null"))
            dropped = select(func.array_agg(key.c.key)).where(~keep).scalar_subquery()
            return properties.op("-")(func.coalesce(dropped, cast(literal("{}"), ARRAY(Text))))
        each = func.json_each(properties).table_valued("key", "value", "type")
        is_null = each.c.type == "null"
        value = case((each.c.type.in_(("true", "false")), func.json(each.c.type)), else_=each.c.value)  # not 1/0
        keep = or_(each.c.key.in_(stored), and_(each.c.key.in_(opened), ~self.has_key(sealed, each.c.key)),
                   and_(each.c.key.in_(masked), is_null))
        return func.json(select(func.json_group_object(each.c.key, value)).where(keep).scalar_subquery())


def _by_dataset(refs: dict[int, Any], value: Any) -> Any:
    """``value(ds_id)`` for the event's dataset (one dataset: no CASE at all)."""
    if len(refs) == 1:
        return value(next(iter(refs)))
    return case(*((RegistryEvent.dataset_id == ds_id, value(ds_id)) for ds_id in refs), else_=null())


def read_feed(session: Session, sealer: Sealer, user: User, cursor: str | None, limit: int | None = None,
              dataset: str | None = None) -> dict[str, Any]:
    """The caller's events after the cursor: ``{items, next_cursor, has_more}``, each item JSON text."""
    service.require_reader(user)
    after = decode(cursor)
    refs = _datasets(session, user, dataset)
    limit = max(1, min(limit or DEFAULT_LIMIT, MAX_LIMIT))
    if not refs:
        return {"items": [], "next_cursor": encode(after), "has_more": False}
    shapers = {ds_id: Shaper(ref.spec, user, sealer) for ds_id, ref in refs.items()}
    render = _Render(session)
    now_v, before_v = aliased(EntityVersion), aliased(EntityVersion)

    def in_purpose(properties: Any) -> Any:
        return _by_dataset(refs, lambda ds_id: purpose_clause(user, refs[ds_id].spec.name, properties))

    shared_now = and_(scope_clause(user, now_v.unit_path), in_purpose(now_v.properties))
    shared_before = and_(before_v.unit_path.is_not(None), scope_clause(user, before_v.unit_path),
                         in_purpose(before_v.properties))
    status = case(
        (RegistryEvent.version == Entity.version, Entity.status),
        (RegistryEvent.kind == EventKind.DEPARTED.value, literal(EntityStatus.DEPARTED.value)),
        (and_(RegistryEvent.kind == EventKind.MERGED.value,
              RegistryEvent.detail["merged"].as_string() == Entity.uuid), literal(EntityStatus.MERGED.value)),
        else_=literal(EntityStatus.ACTIVE.value))
    head = ("kind", RegistryEvent.kind, "uuid", Entity.uuid, "version", RegistryEvent.version,
            "event_date", RegistryEvent.event_date)
    properties = _by_dataset(refs, lambda ds_id: render.picked(now_v.properties, now_v.sealed, shapers[ds_id]))
    state = render.object("label", now_v.label, "unit_path", now_v.unit_path, "status", status,
                          "properties", properties)
    item = case((shared_now, render.text(render.object(*head, "op", literal("upsert"), "state", state))),
                (shared_before, render.text(render.object(*head, "op", literal("remove")))), else_=null())
    # What Python shapes, as plain columns: per dataset, each opened property's token and whether it has a
    # stored value, and each masked property's stored value as text.
    shaped: list[Any] = []
    slices: dict[int, tuple[int, int, int]] = {}
    for ds_id, shaper in shapers.items():
        opened, masked = shaper.opened_names, [n for n, _ in shaper.masked_names]
        columns = ([now_v.sealed[n].as_string() for n in opened]
                   + [now_v.properties[n].as_string().is_not(None) for n in opened]
                   + [now_v.properties[n].as_string() for n in masked])
        if len(refs) > 1:
            columns = [case((RegistryEvent.dataset_id == ds_id, c), else_=null()) for c in columns]
        slices[ds_id] = (5 + len(shaped), len(opened), len(masked))
        shaped += columns
    query = (
        select(RegistryEvent.cursor, RegistryEvent.dataset_id, RegistryEvent.at, item, shared_now, *shaped)
        .join(Entity, Entity.id == RegistryEvent.entity_id)
        .join(now_v, and_(now_v.entity_id == RegistryEvent.entity_id, now_v.version == RegistryEvent.version))
        .outerjoin(before_v, and_(before_v.entity_id == RegistryEvent.entity_id,
                                  before_v.version == RegistryEvent.version - 1))
        .where(RegistryEvent.cursor > after, RegistryEvent.dataset_id.in_(list(refs)),
               or_(scope_clause(user, RegistryEvent.unit_path),
                   scope_clause(user, func.coalesce(RegistryEvent.previous_unit_path, RegistryEvent.unit_path)),
                   scope_clause(user, func.coalesce(before_v.unit_path, RegistryEvent.unit_path))))
        .order_by(RegistryEvent.cursor).limit(limit))
    # Core execution: no ORM row processing for ten thousand events a page.
    if render.pg:  # a page is ten thousand events in cursor order: parallel workers only add their start-up
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    rows = session.connection().execute(query).all()
    names = {ds_id: json.dumps(ref.spec.name) for ds_id, ref in refs.items()}
    items = [RawJson(_item(row, names[row[1]], shapers[row[1]], slices[row[1]])) for row in rows
             if row[3] is not None]
    for ds_id, shaper in shapers.items():
        if shaper.revealed_records:
            record(session, user.id, "registry.feed", target_type=f"registry.{refs[ds_id].spec.name}",
                   detail={**shaper.audit_detail(), "after": after})
    last = rows[-1][0] if rows else after
    return {"items": items, "next_cursor": encode(last), "has_more": len(rows) == limit}


def _item(row: Any, dataset: str, shaper: Shaper, where: tuple[int, int, int]) -> str:
    """One event's JSON text: the database's rendering, with the cursor, time and shaped values added."""
    body = row[3]
    start, opened, masked = where
    if row[4] and (opened or masked):
        tokens, stored = row[start:start + opened], row[start + opened:start + 2 * opened]
        extra = shaper.shaped(tokens, stored, row[start + 2 * opened:start + 2 * opened + masked])
        if extra:  # into the properties object, which closes the item: ...,"properties":{...}}}
            rest = body[:-3]
            body = rest + ("" if rest.endswith("{") else ",") + ",".join(
                f'"{name}":{quote(value)}' for name, value in extra) + "}}}"
    at = quote(row[2].isoformat()) if row[2] is not None else "null"
    return f'{{"cursor":"{encode(row[0])}","dataset":{dataset},"at":{at},{body[1:]}'
