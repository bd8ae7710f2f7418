"""A batch merge leaves the registry exactly as merging its submissions one at a time, in order, does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.errors import AppError
from server.geo.points import lon_lat_of
from server.registry import store
from server.registry.batch import Result, merge_batch
from server.registry.models import (
    AppliedSource,
    DuplicateCandidate,
    Entity,
    EntityVersion,
    PlacementReview,
    RegistryEvent,
)
from server.registry.records import SubmissionEssentials
from server.sealing.crypto import Sealer
from tests.registry.conftest import (
    FAR_POINT,
    ID_A,
    ID_B,
    MOVE_OUT,
    REGISTRATION,
    VISIT,
    WORKER_POINT,
    merge_one_by_one,
    registration,
)

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
ID_C = "650102199003150031"
SKIPPING = {**REGISTRATION, "create_if": "${full_name} = 'nobody'"}
Scenario = list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]  # (block, data, essentials options)


def _uuid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


def _visit(person: str, day: str = "2026-11-20") -> dict[str, Any]:
    return {"person": person, "visit_date": day, "visit_type": "home"}


def _chosen(data: dict[str, Any], entity_uuid: str) -> dict[str, Any]:
    """A registration whose device chose the record's uuid (ODK's meta/entity/@id)."""
    return {**data, "meta": {**data["meta"], "entity": {"@id": entity_uuid}}}


def _seed() -> Scenario:
    """Records the batch finds in the registry: two registered people, one with a device-chosen uuid."""
    return [
        (REGISTRATION, _chosen(registration("马小红", ID_A), _uuid(1)), {}),
        (REGISTRATION, _chosen(registration("艾力·吐尔逊", ID_B, birth="1992-08-15", phone="13900000002",
                                            origin="622921", address="东街2号"), _uuid(2)), {}),
    ]


def _batch() -> Scenario:
    """One batch mixing what the fast pass covers with what merge.py merges alone."""
    repeated = registration("白建国", None, birth="1979-01-02", phone="13700000009", address="西街9号")
    return [
        (REGISTRATION, _chosen(registration("马晓红", None, phone="13812345678"), _uuid(3)), {}),  # near 1
        (VISIT, _visit(_uuid(3)), {}),  # names the record the batch just made
        (REGISTRATION, registration("马小红", ID_A, phone="13811112222", address="和庄镇幸福路9号"), {}),  # dedup
        (REGISTRATION, registration("哈米", ID_C, birth="1990-03-15", origin="650102"), {}),
        (REGISTRATION, registration("哈米娜", ID_C, birth="1990-03-15", origin="650102"), {}),  # dedup in-batch
        (VISIT, _visit(_uuid(99)), {}),  # refused: no such record
        (VISIT, _visit(_uuid(2), "2026-11-21"), {}),
        (REGISTRATION, {**registration("", None), "full_name": ""}, {}),  # refused: no label
        (SKIPPING, registration("马不建", None), {}),  # skipped: create_if is false
        (VISIT, _visit(_uuid(1), "2026-11-22"), {"base_version": 1}),  # stale base: a conflict, merged alone
        (VISIT, _visit(_uuid(2), "2026-11-23"), {"point": FAR_POINT}),  # a held move: merged alone
        (VISIT, _visit(_uuid(3), "2026-11-23"), {"point": FAR_POINT, "far": True}),  # a move: merged alone
        (VISIT, _visit(_uuid(3), "2026-11-24"), {}),  # after the move, back in the pass
        (REGISTRATION, _chosen(registration("白玉", None), _uuid(1)), {}),  # refused: the uuid is taken
        (REGISTRATION, repeated, {"instance_id": "uuid:repeated"}),
        (REGISTRATION, repeated, {"instance_id": "uuid:repeated"}),  # the same submission again
        (MOVE_OUT, {"person": _uuid(2), "departure_date": "2026-11-25", "destination": {"county": "650102"},
                    "move_reason": "work", "residence_status": "departed"}, {}),  # departure: merged alone
        (VISIT, _visit(_uuid(1), "2026-11-26"), {"point": WORKER_POINT}),  # located in its own grid
        (REGISTRATION, registration("马小虹", None, phone="13811112222"), {}),  # near the dedup's new phone
    ]


def _essentials(scenario: Scenario, worker: User, start: int, far: User | None = None) -> list[SubmissionEssentials]:
    out = []
    for n, (block, data, options) in enumerate(scenario, start):
        user = far if options.get("far") and far is not None else worker
        out.append(SubmissionEssentials(
            instance_id=options.get("instance_id") or f"uuid:{_uuid(1000 + n)}", entities=block,
            data=data, submitter_id=user.id, received_at=T0 + timedelta(minutes=n), point=options.get("point"),
            base_version=options.get("base_version")))
    return out


def _wipe(db: Session) -> None:
    for model in (DuplicateCandidate, PlacementReview, RegistryEvent, EntityVersion, AppliedSource):
        db.execute(delete(model))
    db.execute(delete(Entity).where(Entity.merged_into_id.is_not(None)))
    db.execute(delete(Entity))
    db.commit()


def _registry(db: Session, sealer: Sealer, results: list[Result]) -> dict[str, Any]:
    """The registry and the outcomes, with ids and generated uuids replaced by the creating submission."""
    db.expire_all()
    names = {v.entity_id: v.source_id for v in db.scalars(select(EntityVersion).where(EntityVersion.version == 1))}
    by_uuid = {e.uuid: names[e.id] for e in db.scalars(select(Entity))}
    pair_names = {c.id: (names[c.entity_a_id], names[c.entity_b_id]) for c in db.scalars(select(DuplicateCandidate))}

    def opened(values: dict[str, Any] | None) -> Any:
        if not values:
            return values
        return {k: ({**v, **{x: sealer.open(k, v[x]) for x in ("base", "current", "incoming") if v.get(x)}}
                    if isinstance(v, dict) and v.get("sealed") else v) for k, v in values.items()}

    review_names = {r.id: r.source_id for r in db.scalars(select(PlacementReview))}

    def detail(value: dict[str, Any] | None) -> Any:
        if value and "candidates" in value:
            value = {**value, "candidates": sorted(pair_names[c] for c in value["candidates"])}
        if value and "placement_review" in value:
            value = {**value, "placement_review": review_names[value["placement_review"]]}
        return value

    entities = sorted(
        (names[e.id], e.label, e.properties, store.open_sealed(e.sealed, sealer), e.version, e.status, e.unit_path,
         e.grid_code, e.conflict, lon_lat_of(e.geometry), names.get(e.followed_id or 0),
         tuple(getattr(e, k) for k in store.SEARCH_COLUMNS), e.created_by)
        for e in db.scalars(select(Entity)))
    versions = sorted(
        (names[v.entity_id], v.version, v.base_version, v.label, v.properties, store.open_sealed(v.sealed, sealer),
         v.changed, v.unit_path, v.author_id, v.source_type, v.source_id, v.conflict,
         {**v.conflict_detail, "values": opened(v.conflict_detail.get("values"))} if v.conflict_detail else None)
        for v in db.scalars(select(EntityVersion)))
    events = [(names[e.entity_id], e.kind, e.version, e.unit_path, e.previous_unit_path, e.event_date, e.actor_id,
               e.source_type, e.source_id, e.detail)
              for e in db.scalars(select(RegistryEvent).order_by(RegistryEvent.cursor))]
    pairs = sorted((pair_names[c.id], c.score, c.reasons, c.status, c.path_a, c.path_b, c.revision)
                   for c in db.scalars(select(DuplicateCandidate)))
    claims = sorted((s.source_key, s.outcome, names.get(s.entity_id or 0), s.source_id, s.dataset, s.unit_path,
                     detail(s.detail)) for s in db.scalars(select(AppliedSource)))
    reviews = sorted((names[r.entity_id], r.status, r.path_from, r.path_to, r.reason, r.source_id)
                     for r in db.scalars(select(PlacementReview)))
    outcomes = [r.code if isinstance(r, AppError) else
                [(o.dataset, o.action, by_uuid.get(o.entity_uuid or ""), o.version, o.conflict, len(o.candidates),
                  o.review is not None, o.reason) for o in r]
                for r in results]
    return {"entities": entities, "versions": versions, "events": events, "pairs": pairs, "claims": claims,
            "reviews": reviews, "outcomes": outcomes}


def _run(db: Session, sealer: Sealer, users: tuple[User, User], merge: Callable[..., list[Result]]) -> dict[str, Any]:
    _wipe(db)
    seed = _essentials(_seed(), users[0], 0)
    merge_one_by_one(db, seed, sealer)
    results = merge(db, _essentials(_batch(), users[0], len(seed), users[1]), sealer)
    db.commit()
    return _registry(db, sealer, results)


def test_a_batch_merges_as_its_submissions_would_one_at_a_time(db, sealer, user_named, far_worker):
    users = (user_named("worker"), far_worker)
    alone = _run(db, sealer, users, merge_one_by_one)
    batched = _run(db, sealer, users, merge_batch)
    for part in alone:
        assert batched[part] == alone[part], part
    outcomes = alone["outcomes"]
    assert outcomes[5] == "registry.entity_not_found" and outcomes[7] == "registry.label_missing"
    assert outcomes[13] == "registry.entity_exists"
    assert outcomes[2][0][1] == "deduplicated" and outcomes[4][0][1] == "deduplicated"
    assert outcomes[15][0][1] == "already_merged" and outcomes[8][0][1] == "skipped"
    assert alone["reviews"], "the move outside the worker's scope waits for a supervisor"
    assert alone["pairs"], "the near matches became candidates"
    assert any(v[11] for v in alone["versions"]), "the stale visit was flagged"
    assert any(e[1] == "moved" for e in alone["events"]) and any(e[1] == "departed" for e in alone["events"])


def test_a_refused_submission_leaves_nothing_and_the_others_stand(db, sealer, user_named):
    worker = user_named("worker")
    batch = _essentials([
        (REGISTRATION, _chosen(registration("马晓红", None), _uuid(7)), {}),
        (VISIT, _visit(_uuid(7)), {}),
        (VISIT, _visit(_uuid(8)), {}),  # no such record
        (REGISTRATION, _chosen(registration("马晓", None), _uuid(7)), {}),  # the uuid the first one took
    ], worker, 0)
    _wipe(db)
    results = merge_batch(db, batch, sealer)
    db.commit()
    assert [r.code if isinstance(r, AppError) else [o.action for o in r] for r in results] == [
        ["created"], ["updated"], "registry.entity_not_found", "registry.entity_exists"]
    entity = db.scalar(select(Entity).where(Entity.uuid == _uuid(7)))
    assert entity is not None and entity.version == 2
    assert db.scalar(select(AppliedSource).where(AppliedSource.source_id == batch[2].instance_id)) is None
    assert db.scalar(select(AppliedSource).where(AppliedSource.source_id == batch[3].instance_id)) is None
