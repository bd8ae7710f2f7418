"""The registry's history: entity versions, registry events (the change feed) and merge results.

Every registry writer records what it did through here, append-only (the
batch merge writes the same rows many at a time, fastpath.py).

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

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, text
from sqlalchemy.orm import Session

from server.registry.models import AppliedSource, Entity, EntityVersion, RegistryEvent
from server.worker import process_settings

FEED_LOCK = 0x67726567  # "greg": the change feed's advisory lock id


# Core statements with bound parameters: compiled once, so the hot path does not re-walk the values.
_VERSIONS = cast(Table, EntityVersion.__table__)
_EVENTS = cast(Table, RegistryEvent.__table__)
_SOURCES = cast(Table, AppliedSource.__table__)
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
    savepoint, so that it is held by the outer transaction. Every registry
    writer passes here, so this is also where the feed's followers (webhooks)
    are rung for after the commit.
    """
    from server import pipeline  # the job wiring sits above every context

    pipeline.ring_after_registry_events(session, process_settings())
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


_RESULT_KEYS = ("outcome", "entity_id", "source_id", "dataset", "unit_path", "detail")
# A merge result on its claim row (registry_sources): parameters are r_claim_id and r_<column>.
_RESULT_UPDATE = _SOURCES.update().where(_SOURCES.c.id == bindparam("r_claim_id")).values(
    {key: bindparam("r_" + key, type_=_SOURCES.c[key].type) for key in _RESULT_KEYS}
)


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
) -> None:
    """``write_version(**version)``, ``emit(kind, **event)`` and ``record_result(*result)``."""
    write_version(session, entity, **version)
    emit(session, entity, kind, **event)
    if result is not None:
        record_result(session, *result)
