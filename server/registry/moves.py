"""Where a person lives: placement from located submissions, and dated residence events.

A record's grid follows its latest *located* submission (a point inside a
grid). Arrival is the first registration (the ``created`` event, dated by the
arrival date); a later located submission in another grid is a transfer
(``moved``); a move-out is a ``departed`` event dated by the departure date
(it never relocates the record: the person left from where they lived); a
departed person seen again is ``returned``. Submissions stay filed where
intake put them (the grid they were made in, or their submitter's own unit
when made outside the submitter's scope); only the registry record moves.

A located submission whose grid lies outside the submitter's scope does not
move an existing record by itself when the dataset says ``on_outside:
review``: the move waits in a ``PlacementReview`` for a supervisor
(decisions.py), while the submission's other changes apply. A newer review,
or any move made another way, supersedes an open one. (A *new* record is
placed where its point is: an arrival is not a move, and intake has already
flagged the submission ``outside_scope`` for the supervisor.)

Records placed by following another (``placement.follows``: a follow-up and
its person) live in that record's grid. Every move, however made, goes
through ``transfer``/``follow`` and then calls the move listeners wired in
server/pipeline.py (``MOVE_LISTENERS``) in the same transaction;
followups.py's ``move_open_followups`` moves the person's open follow-ups
along, each with its own ``moved`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.domain.datasets import DatasetSpec
from server.errors import RuleViolation
from server.geo.models import AdminUnit
from server.geo.points import parse_geopoint, point_element
from server.geo.service import grid_path_at
from server.registry import history, store
from server.registry.models import Entity, EntityStatus, EventKind, PlacementReview, ReviewStatus
from server.registry.rules import Move, grid_code_of, residence_transition
from server.scope import path_in_scope


class MoveListener(Protocol):
    """A function told about every move of a record, in the mover's transaction (server/pipeline.py wires them)."""

    def __call__(
        self,
        session: Session,
        entity: Entity,
        old_path: str,
        new_path: str,
        *,
        actor_id: int | None,
        source_type: str,
        source_id: str | None,
        event_date: str | None,
    ) -> None: ...


@dataclass(frozen=True)
class Placement:
    """Where a submission places a record.

    ``located``: a point fell inside a grid (or the record follows a located
    one); ``outside``: that grid lies outside the submitter's scope;
    ``linked_id``: the record followed (``placement.follows``).
    """

    unit_path: str | None
    grid_code: str | None
    point: tuple[float, float] | None
    located: bool
    outside: bool = False
    linked_id: int | None = None


def refuse_outside(spec: DatasetSpec, placement: Placement) -> None:
    """``on_outside: reject``: a located submission outside the submitter's scope is refused."""
    if placement.outside and spec.placement.on_outside == "reject":
        raise RuleViolation(
            "the location lies outside your area",
            code="registry.outside_scope",
            message_zh="定位不在您负责的网格范围内",
            errors={"location": [placement.grid_code or ""]},
        )


def place(
    session: Session,
    spec: DatasetSpec,
    props: Mapping[str, Any],
    point: tuple[float, float] | None,
    unit_path: str | None,
    submitter: Callable[[], User | None],
    locate: Callable[[float, float], tuple[str, str] | None] | None = None,
) -> Placement:
    """The grid a submission's point falls in; else its own unit, else the submitter's (on_missing).

    A dataset that follows another is placed where the followed record is.
    ``locate``: how to find a point's grid (path, code), when not one query per call (a batch merge).
    """
    if spec.placement.follows:
        return _followed(session, spec, props)
    found = parse_geopoint(props.get(spec.placement.geopoint))
    point = point or (found.lon_lat if found else None)
    if point is not None:
        grid = locate(*point) if locate is not None else grid_path_at(session, *point)
        if grid is not None:
            path, code = grid
            user = submitter()
            outside = user is not None and not path_in_scope(user, path)
            return Placement(path, code, point, True, outside)
    if unit_path:
        return Placement(unit_path, grid_code_of(unit_path), point, False)
    user = submitter() if spec.placement.on_missing == "submitter_grid" else None
    if user is not None and user.scopes:
        path = user.scopes[0].unit.path
        return Placement(path, grid_code_of(path), point, False)
    return Placement(None, None, point, False)


def _followed(session: Session, spec: DatasetSpec, props: Mapping[str, Any]) -> Placement:
    """The followed record's place (merges followed to the survivor); unplaced when it is not named or found."""
    assert spec.placement.follows is not None
    target_uuid = props.get(spec.placement.follows)
    target_dataset = spec.properties[spec.placement.follows].dataset
    target = session.scalar(select(Entity).where(Entity.uuid == str(target_uuid))) if target_uuid else None
    seen: set[int] = set()
    while target is not None and target.merged_into_id is not None and target.id not in seen:
        seen.add(target.id)
        target = session.get(Entity, target.merged_into_id)
    if target is None or target_dataset is None or target.dataset_id != store.get_dataset(session, target_dataset).id:
        return Placement(None, None, None, False)
    return Placement(target.unit_path, target.grid_code, None, True, linked_id=target.id)


def set_point(entity: Entity, point: tuple[float, float] | None) -> None:
    """Store the record's last known point."""
    if point is not None:
        entity.geometry = point_element(*point)


def follow(
    session: Session,
    entity: Entity,
    placement: Placement,
    props: Mapping[str, Any],
    *,
    departing: bool,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    fallback_date: str,
) -> list[EventKind]:
    """Apply a submission's residence meaning to the record and emit the dated events.

    Returns the kinds emitted (departed / returned / moved), so the caller
    knows whether a plain ``updated`` event is still needed.
    """
    new_path = placement.unit_path if placement.located else None
    move = residence_transition(entity.status, entity.unit_path, new_path, departing)
    old_path = entity.unit_path
    emitted: list[EventKind] = []
    if move is Move.DEPART:
        entity.status = EntityStatus.DEPARTED.value
        history.emit(
            session,
            entity,
            EventKind.DEPARTED,
            actor_id=actor_id,
            source_type=source_type,
            source_id=source_id,
            event_date=props.get("departure_date") or fallback_date,
            detail={
                k: props[k] for k in ("destination_county", "destination_address", "move_out_reason") if props.get(k)
            },
        )
        return [EventKind.DEPARTED]
    if move is Move.RETURN:
        entity.status = EntityStatus.ACTIVE.value
        if new_path is not None:
            _relocate(session, entity, placement)
        history.emit(
            session,
            entity,
            EventKind.RETURNED,
            actor_id=actor_id,
            source_type=source_type,
            source_id=source_id,
            previous_path=old_path,
            event_date=fallback_date,
        )
        emitted.append(EventKind.RETURNED)
    elif move is Move.TRANSFER and new_path is not None:
        _relocate(session, entity, placement)
    if entity.unit_path != old_path:
        _moved(session, entity, old_path, actor_id=actor_id, source_type=source_type, source_id=source_id,
               event_date=fallback_date)
        emitted.append(EventKind.MOVED)
    return emitted


def transfer(
    session: Session,
    entity: Entity,
    placement: Placement,
    *,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    event_date: str | None,
    detail: Mapping[str, Any] | None = None,
) -> bool:
    """Move a record to the placement's unit (a supervisor's decision, a follow-up going along).

    Emits the ``moved`` event and tells the listeners; the caller bumps and
    writes the version. False when the record already is there.
    """
    old_path = entity.unit_path
    if placement.unit_path is None or placement.unit_path == old_path:
        return False
    _relocate(session, entity, placement)
    _moved(session, entity, old_path, actor_id=actor_id, source_type=source_type, source_id=source_id,
           event_date=event_date, detail=detail)
    return True


def _moved(
    session: Session,
    entity: Entity,
    old_path: str,
    *,
    actor_id: int | None,
    source_type: str,
    source_id: str | None,
    event_date: str | None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """The ``moved`` event; open placement reviews of the record are settled by the move; listeners run."""
    history.emit(
        session,
        entity,
        EventKind.MOVED,
        actor_id=actor_id,
        source_type=source_type,
        source_id=source_id,
        previous_path=old_path,
        event_date=event_date,
        detail={"from_grid": grid_code_of(old_path), "to_grid": entity.grid_code, **(detail or {})},
    )
    supersede_reviews(session, entity)
    from server import pipeline  # the wiring sits above every context (followups.py imports this module)

    for listener in pipeline.MOVE_LISTENERS.values():
        listener(session, entity, old_path, entity.unit_path, actor_id=actor_id, source_type=source_type,
                 source_id=source_id, event_date=event_date)


def _relocate(session: Session, entity: Entity, placement: Placement) -> None:
    assert placement.unit_path is not None
    entity.unit_path = placement.unit_path
    entity.grid_code = placement.grid_code
    set_point(entity, placement.point)


# --------------------------------------------------------------------------- placement reviews


def open_review(
    session: Session,
    entity: Entity,
    placement: Placement,
    *,
    submitter_id: int | None,
    source_type: str,
    source_id: str | None,
    event_date: str | None,
    reason: str = "outside_scope",
) -> PlacementReview | None:
    """Hold a proposed move for a supervisor (superseding an older open one); None if there is no move."""
    if placement.unit_path is None or placement.unit_path == entity.unit_path:
        return None
    supersede_reviews(session, entity)
    point = placement.point
    review = PlacementReview(
        dataset_id=entity.dataset_id,
        entity_id=entity.id,
        status=ReviewStatus.OPEN.value,
        path_from=entity.unit_path,
        path_to=placement.unit_path,
        grid_from=entity.grid_code,
        grid_to=placement.grid_code,
        lon=point[0] if point else None,
        lat=point[1] if point else None,
        reason=reason,
        source_type=source_type,
        source_id=source_id,
        submitter_id=submitter_id,
        event_date=event_date,
        revision=1,
    )
    session.add(review)
    session.flush()
    return review


def supersede_reviews(session: Session, entity: Entity) -> list[int]:
    """Close the record's open placement reviews: it moved (or will be proposed a move) another way."""
    closed = []
    for review in session.scalars(
        select(PlacementReview).where(
            PlacementReview.entity_id == entity.id, PlacementReview.status == ReviewStatus.OPEN.value
        )
    ):
        review.status = ReviewStatus.SUPERSEDED.value
        review.revision += 1
        closed.append(review.id)
    return closed


def unit_for_path(session: Session, path: str) -> AdminUnit | None:
    """The admin unit at the end of a path."""
    code = grid_code_of(path)
    return session.scalar(select(AdminUnit).where(AdminUnit.code == code)) if code else None
