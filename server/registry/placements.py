"""Held moves: a supervisor accepts or rejects a move that placement ``on_outside: review`` held.

A located submission that saw a person outside the submitter's scope applies
its other changes but holds the move (merge.py). Accepting makes it: a
supervisor's version and ``moved`` event dated by the submission that saw the
person there, and the person's open follow-ups move along; rejecting leaves
the record where it is. Both are guarded by If-Match and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.service import record
from server.errors import ConflictError, NotFoundError
from server.registry import history, moves, service, store
from server.registry.decisions import SUPERVISOR, check_if_match, close_decision, lock_record, review_page
from server.registry.models import EntityStatus, PlacementReview, ReviewStatus
from server.scope import scope_clause
from server.sealing.crypto import Sealer


def review_etag(review: PlacementReview) -> str:
    """A placement review's ETag: it changes with every decision."""
    return f'"placement-{review.id}.{review.revision}"'


def _review_visible(user: User) -> Any:
    return or_(scope_clause(user, PlacementReview.path_from), scope_clause(user, PlacementReview.path_to))


def review_view(ds: store.DatasetRef, review: PlacementReview, viewer: service.Viewer) -> dict[str, Any]:
    """A held move: the record (masked), where it is, where the submission saw it, and by whom."""
    return {
        "id": review.id,
        "status": review.status,
        "etag": review_etag(review),
        "reason": review.reason,
        "from_grid": review.grid_from,
        "to_grid": review.grid_to,
        "path_from": review.path_from,
        "path_to": review.path_to,
        "point": {"lon": review.lon, "lat": review.lat} if review.lon is not None else None,
        "submission": review.source_id,
        "submitter_id": review.submitter_id,
        "event_date": review.event_date,
        "created_at": service.iso(review.created_at),
        "resolved_at": service.iso(review.resolved_at),
        "entity": service.summary(ds.spec, review.entity, viewer),
    }


def list_placements(
    session: Session, user: User, dataset: str, status: str | None, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Held moves from or to the caller's scope, newest first."""
    return review_page(session, user, dataset, PlacementReview, _review_visible(user),
                       status or ReviewStatus.OPEN.value, review_view, cursor, limit)


def _load_review(
    session: Session, user: User, ds: store.DatasetRef, review_id: int, if_match: str | None
) -> PlacementReview:
    service.require_reviewer(user)
    review = session.scalar(
        select(PlacementReview)
        .where(PlacementReview.id == review_id, PlacementReview.dataset_id == ds.id, _review_visible(user))
        .with_for_update(of=PlacementReview)
    )
    if review is None:
        raise NotFoundError(f"placement review {review_id} not found", code="registry.placement_not_found",
                            message_zh="待审核的迁移不存在")
    check_if_match(if_match, review_etag(review))
    if review.status != ReviewStatus.OPEN.value:
        raise ConflictError("the move is already decided", code="registry.placement_decided",
                            message_zh="该迁移已处理")
    return review


def accept_placement(
    session: Session, sealer: Sealer, user: User, dataset: str, review_id: int, if_match: str | None
) -> dict[str, Any]:
    """Make the held move: the record goes to the grid the submission saw it in."""
    history.lock_feed(session)  # before any row lock (see history.py)
    ds = store.get_dataset(session, dataset)
    review = _load_review(session, user, ds, review_id, if_match)
    entity = lock_record(session, review.entity_id)
    if entity.status != EntityStatus.ACTIVE.value:
        raise ConflictError(
            f"the record is {entity.status} now; the move no longer applies",
            code="registry.placement_stale",
            message_zh="该登记对象状态已变化，迁移不再适用",
        )
    close_decision(review, user, ReviewStatus.ACCEPTED.value)  # closed first: the move supersedes only other reviews
    source_id = f"placement:{review.id}"
    point = (review.lon, review.lat) if review.lon is not None and review.lat is not None else None
    if entity.unit_path != review.path_to:
        props = store.full_properties(entity, sealer)
        changed: list[str] = []
        geopoint = ds.spec.placement.geopoint
        if geopoint and point is not None:
            props[geopoint] = f"{point[1]} {point[0]}"  # ODK geopoint order: lat lon
            changed.append(geopoint)
        entity.version += 1
        store.set_properties(entity, ds.spec, props, sealer)
        moves.transfer(
            session,
            entity,
            moves.Placement(review.path_to, review.grid_to, point, True),
            actor_id=user.id,
            source_type=SUPERVISOR,
            source_id=source_id,
            event_date=review.event_date,
            detail={"placement_review": review.id, "submission": review.source_id},
        )
        entity.updated_at = datetime.now(UTC)
        session.flush()
        history.write_version(session, entity, base_version=entity.version - 1, changed=changed, author_id=user.id,
                            source_type=SUPERVISOR, source_id=source_id)
    record(session, user.id, "registry.placement_accepted", target_type=f"registry.{dataset}", target_id=entity.uuid,
           detail={"review": review.id, "from": review.grid_from, "to": review.grid_to})
    return review_view(ds, review, service.Viewer.masked(user))


def reject_placement(
    session: Session, user: User, dataset: str, review_id: int, if_match: str | None
) -> dict[str, Any]:
    """Refuse the held move: the record stays where it is."""
    history.lock_feed(session)  # before any row lock (see history.py)
    ds = store.get_dataset(session, dataset)
    review = _load_review(session, user, ds, review_id, if_match)
    close_decision(review, user, ReviewStatus.REJECTED.value)
    record(session, user.id, "registry.placement_rejected", target_type=f"registry.{dataset}",
           target_id=review.entity.uuid, detail={"review": review.id, "from": review.grid_from, "to": review.grid_to})
    return review_view(ds, review, service.Viewer.masked(user))
