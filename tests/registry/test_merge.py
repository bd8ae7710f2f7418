"""Merging submissions into the registry: versions, events, moves, dedup, conflicts, encryption at rest."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from server.registry.models import (
    AppliedSource,
    DuplicateCandidate,
    Entity,
    EntityVersion,
    RegistryEvent,
)
from tests.registry.conftest import (
    FAR_POINT,
    ID_A,
    ID_B,
    MOVE_OUT,
    REGISTRATION,
    VISIT,
    event_kinds,
    geopoint,
    registration,
)


def _entity(db, uuid):
    return db.scalar(select(Entity).where(Entity.uuid == uuid))


def test_registration_visit_and_move_out_from_another_grid(db, merge, sealer):
    created = merge(REGISTRATION, registration())
    assert created.action == "created" and created.version == 1
    person = _entity(db, created.entity_uuid)
    home_grid, home_path = person.grid_code, person.unit_path
    assert home_grid == "410184105005004" and person.status == "active"

    visit = merge(
        VISIT,
        {
            "person": created.entity_uuid,
            "visit_date": "2026-11-20",
            "visit_type": "home",
            "meta": {"entity": {"@baseVersion": "1"}},
        },
    )
    assert (visit.action, visit.version, visit.conflict) == ("updated", 2, None)

    moved_out = merge(
        MOVE_OUT,
        {
            "person": created.entity_uuid,
            "departure_date": "2026-11-25",
            "destination": {"county": "640104"},
            "move_reason": "work",
            "residence_status": "departed",
            "location": geopoint(FAR_POINT),
        },
        point=FAR_POINT,
        base_version=2,
    )
    assert (moved_out.action, moved_out.version, moved_out.conflict) == ("updated", 3, None)

    assert db.scalar(select(func.count()).select_from(Entity).where(Entity.id_hash == person.id_hash)) == 1
    db.refresh(person)
    versions = list(
        db.scalars(select(EntityVersion).where(EntityVersion.entity_id == person.id).order_by(EntityVersion.version))
    )
    assert [v.version for v in versions] == [1, 2, 3]
    assert [v.base_version for v in versions] == [None, 1, 2]
    assert versions[1].changed == ["last_visit_date", "last_visit_type"]
    assert {"departure_date", "residence_status"} <= set(versions[2].changed)
    assert event_kinds(db, person) == ["created", "updated", "departed"]
    departed = db.scalar(
        select(RegistryEvent).where(RegistryEvent.entity_id == person.id, RegistryEvent.kind == "departed")
    )
    assert departed.event_date == "2026-11-25" and departed.detail["destination_county"] == "640104"
    created_event = db.scalar(
        select(RegistryEvent).where(RegistryEvent.entity_id == person.id, RegistryEvent.kind == "created")
    )
    assert created_event.event_date == "2026-03-01"  # arrival
    # a departure does not relocate the record, and every version stays in the home grid
    assert (person.status, person.grid_code, person.unit_path) == ("departed", home_grid, home_path)
    assert {v.unit_path for v in versions} == {home_path}
    assert person.properties["residence_status"] == "departed"
    assert [v.source_id for v in versions][0].startswith("uuid:")


def test_an_event_is_dated_the_day_its_submission_arrived_in_the_city(db, merge):
    # 07:30 and 00:30 in Asia/Shanghai are still the previous day in UTC
    for n, (received, day) in enumerate(((datetime(2026, 11, 27, 23, 30, tzinfo=UTC), "2026-11-28"),
                                         (datetime(2026, 11, 28, 16, 30, tzinfo=UTC), "2026-11-29"),
                                         (datetime(2026, 11, 29, 0, 1, tzinfo=UTC), "2026-11-29"))):
        data = registration(f"马小{n}", None, birth=f"1985-06-1{n}")
        del data["arrival_date"]  # no date given: the day it arrived is the event's
        created = merge(REGISTRATION, data, received_at=received)
        event = db.scalars(select(RegistryEvent).where(RegistryEvent.entity_id == _entity(db, created.entity_uuid).id)
                           ).one()
        assert (event.kind, event.event_date) == ("created", day)


def test_merging_the_same_submission_twice_changes_nothing(db, merge):
    data = registration()
    first = merge(REGISTRATION, data)
    again = merge(REGISTRATION, data)
    assert again.action == "already_merged"
    assert db.scalar(select(func.count()).select_from(Entity)) == 1
    assert db.scalar(select(func.count()).select_from(EntityVersion)) == 1
    assert db.scalar(select(AppliedSource.outcome)) == "created"
    assert first.entity_uuid == _entity(db, first.entity_uuid).uuid


def test_second_registration_with_same_id_updates_instead_of_duplicating(db, merge, far_worker):
    first = merge(REGISTRATION, registration())
    # the same person registered again by the worker of another grid, with the legacy 15-digit number
    second = merge(
        REGISTRATION,
        registration(id_number="640104850612021", phone="139 0000 1111", point=FAR_POINT),
        username="far_worker",
    )
    assert second.action == "deduplicated"
    assert second.entity_uuid == first.entity_uuid and second.version == 2
    assert db.scalar(select(func.count()).select_from(Entity)) == 1
    person = _entity(db, first.entity_uuid)
    assert event_kinds(db, person) == ["created", "moved", "updated"]  # seen living in another grid: a transfer
    assert person.grid_code != "410184105005004"


def test_near_duplicate_becomes_a_candidate_across_grids(db, merge):
    first = merge(REGISTRATION, registration("马小红", ID_A))
    second = merge(REGISTRATION, registration("马晓红", None, point=FAR_POINT, phone="13900001111"))
    assert second.action == "created" and second.candidates
    candidate = db.get(DuplicateCandidate, second.candidates[0])
    features = {r["feature"] for r in candidate.reasons}
    assert {"name", "pinyin", "birth_date", "origin"} <= features
    assert candidate.status == "open" and candidate.score >= 0.6
    assert {candidate.entity_a.uuid, candidate.entity_b.uuid} == {first.entity_uuid, second.entity_uuid}
    unrelated = merge(
        REGISTRATION,
        registration("张伟", ID_B, birth="1992-08-15", phone="13700000000", origin="622921", address="别处"),
    )
    assert unrelated.candidates == []


def test_stale_update_is_flagged_soft_or_hard(db, merge):
    created = merge(REGISTRATION, registration())
    uuid = created.entity_uuid
    merge(VISIT, {"person": uuid, "visit_date": "2026-11-20", "visit_type": "home"}, base_version=1)
    phone_block = {"dataset": "persons", "entity_id": "${person}", "save_to": {"phone": "phone"}}
    soft = merge(phone_block, {"person": uuid, "phone": "13911112222"}, base_version=1)
    assert soft.conflict == "soft"
    hard = merge(VISIT, {"person": uuid, "visit_date": "2026-11-21", "visit_type": "phone"}, base_version=1)
    assert hard.conflict == "hard"
    person = _entity(db, uuid)
    assert person.conflict == "hard" and person.version == 4
    assert person.properties["last_visit_date"] == "2026-11-21"  # applied, as ODK Central does
    flagged = db.scalar(select(EntityVersion).where(EntityVersion.entity_id == person.id, EntityVersion.version == 4))
    values = flagged.conflict_detail["values"]
    assert values["last_visit_date"] == {"base": None, "current": "2026-11-20", "incoming": "2026-11-21"}
    assert flagged.conflict_detail["overlapping"] == ["last_visit_date", "last_visit_type"]


def test_id_and_phone_numbers_are_unreadable_in_the_database(db, merge, sealer):
    created = merge(REGISTRATION, registration())
    merge(VISIT, {"person": created.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    for table in ("entities", "entity_versions", "registry_events", "registry_sources", "duplicate_candidates"):
        dump = " ".join(str(row) for row in db.execute(text(f"SELECT * FROM {table}")))
        assert ID_A not in dump and ID_A[6:] not in dump, table
        assert "13812345678" not in dump, table
    raw_sealed, raw_props, id_hash = db.execute(text("SELECT sealed, properties, id_hash FROM entities")).one()
    assert ID_A not in str(raw_sealed) and "6401**********0218" in str(raw_props)
    assert id_hash != hashlib.sha256(ID_A.encode()).hexdigest()
    token = _entity(db, created.entity_uuid).sealed["resident_id"]
    assert token.startswith(sealer.kid + ":") and sealer.open("resident_id", token) == ID_A


def test_merged_changes_are_in_the_stored_row_not_only_on_the_object(db, merge, far_worker):
    """The merge writes records with Core statements: what the session shows must be what is stored."""
    created = merge(REGISTRATION, registration())
    merge(VISIT, {"person": created.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    merge(
        VISIT,
        {"person": created.entity_uuid, "visit_date": "2026-11-21", "visit_type": "home"},
        point=FAR_POINT,
        username="far_worker",
    )
    shown = _entity(db, created.entity_uuid)
    shown_values = (shown.version, shown.unit_path, shown.grid_code, shown.label, dict(shown.properties))
    db.expire_all()
    stored = _entity(db, created.entity_uuid)
    assert (stored.version, stored.unit_path, stored.grid_code, stored.label, dict(stored.properties)) == shown_values
    assert stored.version == 3 and stored.properties["last_visit_date"] == "2026-11-21"
    assert stored.grid_code != "410184105005004"  # moved to the far grid
    lon, lat = db.execute(
        text("SELECT ST_X(geometry), ST_Y(geometry) FROM entities WHERE id = :id"), {"id": stored.id}
    ).one()
    assert (round(lon, 6), round(lat, 6)) == FAR_POINT
    assert event_kinds(db, stored) == ["created", "updated", "moved", "updated"]


def test_copies_of_id_and_phone_numbers_in_plain_properties_are_masked(db, merge):
    """A label computed from the ID number (the name not saved) and a note quoting the phone keep neither in clear."""
    save_to = {k: v for k, v in REGISTRATION["save_to"].items() if v != "full_name"}
    block = {**REGISTRATION, "label": "concat(${full_name}, ' ', ${id_number})",
             "save_to": {**save_to, "/person_registration/note": "current_address"}}
    data = {**registration(), "note": "电话 13812345678，证件 " + ID_A.lower()}
    created = merge(block, data)
    entity = _entity(db, created.entity_uuid)
    assert entity.label == entity.properties["full_name"] == "马小红 6401**********0218"
    assert entity.properties["current_address"] == "电话 138****5678，证件 6401**********0218"
    for table in ("entities", "entity_versions"):
        dump = " ".join(str(row) for row in db.execute(text(f"SELECT * FROM {table}")))
        assert ID_A not in dump.upper() and "13812345678" not in dump, table
