"""The registry's append-only history (server/registry/history.py): versions, events, merge results, the feed lock."""

from __future__ import annotations

from sqlalchemy import select, text

from server.registry import history
from server.registry.models import AppliedSource, EntityVersion, EventKind, RegistryEvent, SourceType
from tests.registry.conftest import FAR_POINT, ID_A, REGISTRATION, VISIT, fresh_entity, registration


def test_merge_result_on_the_claim_row_names_record_path_candidates_and_conflict(db, merge):
    """The result is written with the version (one statement on PostgreSQL): it must say the same."""
    first = merge(REGISTRATION, registration("马小红", ID_A), instance_id="uuid:result-1")
    second = merge(
        REGISTRATION, registration("马晓红", None, point=FAR_POINT, phone="13900001111"), instance_id="uuid:result-2"
    )
    merge(VISIT, {"person": first.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    stale = merge(
        VISIT, {"person": first.entity_uuid, "visit_date": "2026-11-21", "visit_type": "phone"},
        base_version=1, instance_id="uuid:result-3",
    )
    rows = {r.source_id: r for r in db.scalars(select(AppliedSource))}
    created, near, flagged = rows["uuid:result-1"], rows["uuid:result-2"], rows["uuid:result-3"]
    person, other = fresh_entity(db, first.entity_uuid), fresh_entity(db, second.entity_uuid)
    assert (created.outcome, created.entity_id, created.dataset) == ("created", person.id, "persons")
    assert created.unit_path == person.unit_path and created.detail is None
    assert (near.entity_id, near.unit_path) == (other.id, other.unit_path)
    assert near.detail == {"candidates": second.candidates} and second.candidates
    assert stale.conflict == "hard"
    assert (flagged.outcome, flagged.entity_id, flagged.detail) == ("updated", person.id, {"conflict": "hard"})



def test_a_version_its_event_and_the_entity_row_are_written_together(db, merge, user_named):
    """The caller changes the record; history writes its version and event beside it, the same on both databases."""
    created = merge(REGISTRATION, registration())
    person = fresh_entity(db, created.entity_uuid)
    supervisor = user_named("supervisor").id
    person.version, person.label = 2, "马小红（改）"
    history.write_version_and_emit(
        db, person, EventKind.UPDATED,
        version={"base_version": 1, "changed": ["full_name"], "author_id": supervisor,
                 "source_type": SourceType.SUPERVISOR.value, "source_id": None},
        event={"actor_id": supervisor, "source_type": SourceType.SUPERVISOR.value, "source_id": None,
               "detail": {"changed": ["full_name"]}},
    )
    db.flush()
    db.expire_all()
    stored = fresh_entity(db, created.entity_uuid)
    assert (stored.version, stored.label) == (2, "马小红（改）")
    versions = db.scalars(select(EntityVersion).where(EntityVersion.entity_id == stored.id)
                          .order_by(EntityVersion.version)).all()
    assert [(v.version, v.base_version, v.label, v.source_type) for v in versions] == [
        (1, None, "马小红", "submission"), (2, 1, "马小红（改）", "supervisor")]
    events = db.scalars(select(RegistryEvent).where(RegistryEvent.entity_id == stored.id)
                        .order_by(RegistryEvent.cursor)).all()
    assert [(e.kind, e.version, e.actor_id) for e in events] == [("created", 1, user_named("worker").id),
                                                                 ("updated", 2, supervisor)]
    assert events[1].detail == {"changed": ["full_name"]} and events[1].unit_path == stored.unit_path


def test_the_feed_lock_is_taken_once_per_transaction(db, backend):
    history.lock_feed(db)
    history.lock_feed(db)
    if backend == "postgresql":
        assert db.info["registry_feed_lock"] is db.get_transaction()
        held = db.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k"
                              " AND pid = pg_backend_pid() AND granted"), {"k": history.FEED_LOCK})
        assert held == 1
    else:  # SQLite serializes writers: there is nothing to take
        assert "registry_feed_lock" not in db.info
