"""Supervisor decisions: resolve a conflict; merge, mark distinct or unmerge a duplicate candidate.
Held moves (placement ``on_outside: review``) are decided in placements.py.

Each decision is guarded by If-Match (the record's or candidate's ETag): a
stale one answers 412, a missing one 428. Each produces new versions and
events (nothing is rewritten), and an audit event. A merge keeps one
survivor; the other record stays with its whole history, marked ``merged``
and pointing at the survivor, and later submissions naming it land on the
survivor. Unmerge reverses that: the other record is live again and the
values the merge copied into the survivor are taken back out unless changed
since.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server import errors
from server.accounts.models import User
from server.audit.service import record
from server.errors import AppError, ConflictError, NotFoundError
from server.paging import decode_cursor, encode_cursor
from server.registry import followups, history, rules, service, store
from server.registry.models import (
    CandidateStatus,
    DuplicateCandidate,
    Entity,
    EntityStatus,
    EntityVersion,
    EventKind,
    PlacementReview,
    SourceType,
)
from server.scope import path_in_scope, scope_clause
from server.sealing.crypto import Sealer

SUPERVISOR = SourceType.SUPERVISOR.value


def check_if_match(if_match: str | None, current: str) -> None:
    """428 without If-Match, 412 when it names an older state of the record."""
    errors.check_if_match(if_match, current, stale_code="registry.stale")


def lock_record(session: Session, entity_id: int) -> Entity:
    """The record, locked and reloaded: a decision works on its committed state."""
    entity = session.scalar(
        select(Entity).where(Entity.id == entity_id).with_for_update().execution_options(populate_existing=True)
    )
    assert entity is not None
    return entity


# --------------------------------------------------------------------------- conflicts


def resolve_conflict(
    session: Session,
    sealer: Sealer,
    user: User,
    dataset: str,
    entity_uuid: str,
    if_match: str | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Settle a record's conflicts with the supervisor's chosen values, as a new version."""
    history.lock_feed(session)  # before any row lock (see history.py)
    service.require_reviewer(user)
    ds = store.get_dataset(session, dataset)
    entity = lock_record(session, service.get_entity(session, user, ds, entity_uuid).id)
    check_if_match(if_match, service.etag(entity))
    if entity.conflict is None:
        raise ConflictError(
            "this record has no open conflict", code="registry.no_conflict", message_zh="该记录没有待处理的冲突"
        )
    unknown = [k for k in values if k not in ds.spec.properties or ds.spec.properties[k].derive is not None]
    if unknown:
        raise AppError(
            "unknown properties",
            status=422,
            code="registry.unknown_property",
            errors={k: ["not a writable property"] for k in unknown},
        )
    current = store.full_properties(entity, sealer)
    chosen = rules.normalise(ds.spec, values)
    changed = rules.changed_properties(current, chosen)
    entity.version += 1
    store.set_properties(entity, ds.spec, rules.apply_changes(current, chosen), sealer)
    entity.conflict = None
    entity.updated_at = datetime.now(UTC)
    session.flush()
    now = datetime.now(UTC)
    open_versions = session.scalars(
        select(EntityVersion).where(
            EntityVersion.entity_id == entity.id,
            EntityVersion.conflict.is_not(None),
            EntityVersion.resolved_at.is_(None),
        )
    )
    resolved = []
    for version in open_versions:
        version.resolved_at, version.resolved_by = now, user.id
        resolved.append(version.version)
    source_id = f"conflict:{entity.uuid}:{entity.version}"
    history.write_version(
        session,
        entity,
        base_version=entity.version - 1,
        changed=changed,
        author_id=user.id,
        source_type=SUPERVISOR,
        source_id=source_id,
    )
    history.emit(
        session,
        entity,
        EventKind.UPDATED,
        actor_id=user.id,
        source_type=SUPERVISOR,
        source_id=source_id,
        detail={"changed": changed, "resolved_versions": resolved},
    )
    record(
        session,
        user.id,
        "registry.conflict_resolved",
        target_type=f"registry.{dataset}",
        target_id=entity.uuid,
        detail={"versions": resolved, "changed": changed},
    )
    return service.detail(session, sealer, user, dataset, entity.uuid)


# --------------------------------------------------------------------------- duplicate candidates


def candidate_etag(candidate: DuplicateCandidate) -> str:
    """A candidate's ETag: it changes with every decision or rescoring."""
    return f'"candidate-{candidate.id}.{candidate.revision}"'


def _visible(user: User) -> Any:
    return or_(scope_clause(user, DuplicateCandidate.path_a), scope_clause(user, DuplicateCandidate.path_b))


def candidate_view(ds: store.DatasetRef, candidate: DuplicateCandidate, viewer: service.Viewer) -> dict[str, Any]:
    """A candidate with both records (masked) and the reasons they look alike."""
    return {
        "id": candidate.id,
        "score": candidate.score,
        "reasons": candidate.reasons,
        "status": candidate.status,
        "etag": candidate_etag(candidate),
        "created_at": service.iso(candidate.created_at),
        "resolved_at": service.iso(candidate.resolved_at),
        "survivor": _uuid_of(candidate, candidate.survivor_id),
        "a": service.summary(ds.spec, candidate.entity_a, viewer),
        "b": service.summary(ds.spec, candidate.entity_b, viewer),
    }


def _uuid_of(candidate: DuplicateCandidate, entity_id: int | None) -> str | None:
    if entity_id is None:
        return None
    return candidate.entity_a.uuid if candidate.entity_a_id == entity_id else candidate.entity_b.uuid


def list_candidates(
    session: Session, user: User, dataset: str, status: str | None, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Candidates touching the caller's scope (either record), best score first within id pages."""
    return review_page(session, user, dataset, DuplicateCandidate, _visible(user),
                       status or CandidateStatus.OPEN.value, candidate_view, cursor, limit)


def get_candidate(session: Session, user: User, dataset: str, candidate_id: int) -> dict[str, Any]:
    """One candidate touching the caller's scope, whatever its status (404 outside scope)."""
    service.require_reviewer(user)
    ds = store.get_dataset(session, dataset)
    candidate = session.scalar(
        select(DuplicateCandidate)
        .where(DuplicateCandidate.id == candidate_id, DuplicateCandidate.dataset_id == ds.id, _visible(user))
    )
    if candidate is None:
        raise NotFoundError(f"candidate {candidate_id} not found", code="registry.candidate_not_found")
    viewer = service.Viewer.masked(user)
    view = candidate_view(ds, candidate, viewer)
    viewer.audit(session, dataset)
    return view


def review_page(session: Session, user: User, dataset: str, model: Any, visible: Any, status: str,
                view: Callable[[store.DatasetRef, Any, service.Viewer], dict[str, Any]], cursor: str | None,
                limit: int) -> dict[str, Any]:
    """One page of a supervisor's queue (candidates, held moves): in scope, by status, newest first."""
    service.require_reviewer(user)
    ds = store.get_dataset(session, dataset)
    viewer = service.Viewer.masked(user)
    query = select(model).where(model.dataset_id == ds.id, visible, model.status == status)
    if (after := decode_cursor(cursor)) is not None:
        query = query.where(model.id < after)
    limit = max(1, min(limit, service.MAX_LIMIT))
    rows = list(session.scalars(query.order_by(model.id.desc()).limit(limit + 1)))
    items = [view(ds, row, viewer) for row in rows[:limit]]
    viewer.audit(session, dataset)
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1].id) if len(rows) > limit else None}


def _load_candidate(
    session: Session, user: User, dataset: str, candidate_id: int, if_match: str | None, *, open_only: bool = False
) -> tuple[store.DatasetRef, DuplicateCandidate]:
    """The dataset and the candidate to decide, locked after the feed lock (before any row lock, see history.py)."""
    history.lock_feed(session)
    ds = store.get_dataset(session, dataset)
    service.require_reviewer(user)
    candidate = session.scalar(
        select(DuplicateCandidate)
        .where(DuplicateCandidate.id == candidate_id, DuplicateCandidate.dataset_id == ds.id, _visible(user))
        .with_for_update(of=DuplicateCandidate)
    )
    if candidate is None:
        raise NotFoundError(f"candidate {candidate_id} not found", code="registry.candidate_not_found")
    check_if_match(if_match, candidate_etag(candidate))
    if open_only and candidate.status != CandidateStatus.OPEN.value:
        raise ConflictError("the candidate is already decided", code="registry.candidate_decided")
    return ds, candidate


def close_decision(item: DuplicateCandidate | PlacementReview, user: User, status: str) -> None:
    """Decide a queue item (candidate or held move): its status, a new revision (ETag), who and when."""
    item.status = status
    item.revision += 1
    item.resolved_by, item.resolved_at = user.id, datetime.now(UTC)


def mark_distinct(
    session: Session, user: User, dataset: str, candidate_id: int, if_match: str | None
) -> dict[str, Any]:
    """Two different people: close the candidate; the pair is not proposed again."""
    ds, candidate = _load_candidate(session, user, dataset, candidate_id, if_match, open_only=True)
    close_decision(candidate, user, CandidateStatus.DISTINCT.value)
    record(session, user.id, "registry.candidate_distinct", target_type=f"registry.{dataset}", target_id=candidate.id)
    return candidate_view(ds, candidate, service.Viewer.masked(user))


def merge_candidate(
    session: Session,
    sealer: Sealer,
    user: User,
    dataset: str,
    candidate_id: int,
    if_match: str | None,
    survivor_uuid: str | None = None,
) -> dict[str, Any]:
    """One person: keep the survivor (the older record unless named), fold the other into it."""
    ds, candidate = _load_candidate(session, user, dataset, candidate_id, if_match, open_only=True)
    a, b = lock_record(session, candidate.entity_a_id), lock_record(session, candidate.entity_b_id)
    if EntityStatus.MERGED.value in (a.status, b.status):
        raise ConflictError("one of the records was merged elsewhere", code="registry.already_merged")
    survivor, other = (b, a) if survivor_uuid == b.uuid else (a, b)
    if survivor_uuid not in (None, a.uuid, b.uuid):
        raise AppError(
            "survivor must be one of the pair",
            status=422,
            code="registry.bad_survivor",
            errors={"survivor": ["not in this candidate"]},
        )
    for entity in (survivor, other):
        if not path_in_scope(user, entity.unit_path):
            raise NotFoundError("record outside your scope", code="registry.entity_not_found")
    kept, taken = store.full_properties(survivor, sealer), store.full_properties(other, sealer)
    filled = {k: v for k, v in taken.items() if v is not None and kept.get(k) is None}
    source_id = f"candidate:{candidate.id}"
    other_status = other.status
    survivor.version += 1
    store.set_properties(survivor, ds.spec, {**kept, **filled}, sealer)
    other.version += 1
    other.status, other.merged_into_id = EntityStatus.MERGED.value, survivor.id
    session.flush()
    _record_pair(session, user, source_id, EventKind.MERGED, ((survivor, sorted(filled)), (other, [])),
                 {"survivor": survivor.uuid, "merged": other.uuid, "candidate": candidate.id})
    # The merged-away person's follow-ups are the survivor's now (open ones move to the survivor's grid).
    followers = followups.repoint_followers(session, sealer, other, survivor, actor_id=user.id, source_type=SUPERVISOR,
                                            source_id=source_id)
    candidate.snapshot = {
        "filled": sorted(filled),
        "other_status": other_status,
        "survivor": survivor.uuid,
        "merged": other.uuid,
        "followups": followers,
    }
    candidate.survivor_id = survivor.id
    return _decided(session, user, ds, candidate, CandidateStatus.MERGED, survivor.uuid, {"merged": other.uuid})


def unmerge_candidate(
    session: Session, sealer: Sealer, user: User, dataset: str, candidate_id: int, if_match: str | None
) -> dict[str, Any]:
    """Undo a merge: the other record is live again; values copied into the survivor go back out."""
    ds, candidate = _load_candidate(session, user, dataset, candidate_id, if_match)
    if candidate.status != CandidateStatus.MERGED.value or candidate.survivor_id is None:
        raise ConflictError("only a merged candidate can be unmerged", code="registry.not_merged")
    other_id = candidate.entity_b_id if candidate.survivor_id == candidate.entity_a_id else candidate.entity_a_id
    survivor, other = lock_record(session, candidate.survivor_id), lock_record(session, other_id)
    if other.merged_into_id != survivor.id:
        raise ConflictError("the records are no longer merged this way", code="registry.not_merged")
    kept, taken = store.full_properties(survivor, sealer), store.full_properties(other, sealer)
    snapshot = candidate.snapshot or {}
    removed = [k for k in snapshot.get("filled", []) if kept.get(k) == taken.get(k)]
    source_id = f"candidate:{candidate.id}:unmerge"
    survivor.version += 1
    store.set_properties(survivor, ds.spec, {k: v for k, v in kept.items() if k not in removed}, sealer)
    other.version += 1
    other.status, other.merged_into_id = snapshot.get("other_status", EntityStatus.ACTIVE.value), None
    session.flush()
    _record_pair(session, user, source_id, EventKind.UNMERGED, ((survivor, sorted(removed)), (other, [])),
                 {"survivor": survivor.uuid, "restored": other.uuid, "candidate": candidate.id})
    followups.repoint_followers(session, sealer, survivor, other, only=snapshot.get("followups", []), actor_id=user.id,
                                source_type=SUPERVISOR, source_id=source_id)  # exactly what the merge moved
    return _decided(session, user, ds, candidate, CandidateStatus.UNMERGED, survivor.uuid, {"restored": other.uuid})


def _record_pair(
    session: Session,
    user: User,
    source_id: str,
    kind: EventKind,
    changes: tuple[tuple[Entity, list[str]], ...],
    detail: dict[str, Any],
) -> None:
    """A supervisor's version and event for each of the two records a merge or unmerge touched."""
    for entity, changed in changes:
        history.write_version(session, entity, base_version=entity.version - 1, changed=changed, author_id=user.id,
                            source_type=SUPERVISOR, source_id=source_id)
        history.emit(session, entity, kind, actor_id=user.id, source_type=SUPERVISOR, source_id=source_id,
                   detail=detail)


def _decided(
    session: Session,
    user: User,
    ds: store.DatasetRef,
    candidate: DuplicateCandidate,
    status: CandidateStatus,
    survivor_uuid: str,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """Close a merged or unmerged candidate, audit the decision and show the candidate."""
    close_decision(candidate, user, status.value)
    record(session, user.id, f"registry.{status.value}", target_type=f"registry.{ds.name}", target_id=survivor_uuid,
           detail={**detail, "candidate": candidate.id})
    return candidate_view(ds, candidate, service.Viewer.masked(user))
