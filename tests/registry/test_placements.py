"""placement on_outside: review — a located submission outside the submitter's scope holds the move for a supervisor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.errors import RuleViolation
from server.registry.models import PlacementReview, RegistryEvent
from tests.registry.conftest import (
    FAR_POINT,
    FOLLOWUP,
    PERSONS,
    REGISTRATION,
    VISIT,
    WORKER_POINT,
    event_kinds,
    fresh_entity,
    geopoint,
    redeclare,
    registration,
)

WORKER_GRID = "410184105005004"


def outcome_id(db, entity):
    """The instance id of the entity's latest submission."""
    return db.scalar(select(RegistryEvent.source_id).where(RegistryEvent.entity_id == entity.id)
                     .order_by(RegistryEvent.cursor.desc()).limit(1))


def _far_visit(merge, person, date="2026-11-20", username="worker"):
    return merge(VISIT, {"person": person, "visit_date": date, "visit_type": "home", "location": geopoint(FAR_POINT)},
                 point=FAR_POINT, username=username)


def _queue(client, auth, user, **params):
    return auth.read(f"{PERSONS}/placements", user, **params)["items"]


def _decide(client, auth, review, action, user="supervisor", etag=None):
    return client.post(f"{PERSONS}/placements/{review['id']}/{action}",
                       headers={**auth.headers(user), "If-Match": etag or review["etag"]})


def test_an_outside_visit_updates_the_person_but_holds_the_move(client, auth, db, merge):
    person = merge(REGISTRATION, registration())
    outcome = _far_visit(merge, person.entity_uuid)
    assert outcome.action == "updated" and outcome.review is not None
    record = fresh_entity(db, person.entity_uuid)
    assert record.grid_code == WORKER_GRID and record.version == 2  # not moved...
    assert record.properties["last_visit_date"] == "2026-11-20"  # ...but the other changes applied
    assert record.properties["geometry"] == geopoint(WORKER_POINT)  # the location waits with the move
    assert event_kinds(db, record) == ["created", "updated"]
    review = db.get(PlacementReview, outcome.review)
    assert (review.status, review.grid_from, review.reason) == ("open", WORKER_GRID, "outside_scope")
    assert (review.lon, review.lat) == pytest.approx(FAR_POINT)
    assert review.grid_to != WORKER_GRID and review.path_to.rstrip("/").endswith(review.grid_to)
    # the worker still has the person; the merge result names the held move
    detail = client.get(f"{PERSONS}/entities/{person.entity_uuid}", headers=auth.headers("worker")).get_json()
    assert detail["grid_code"] == WORKER_GRID
    (block,) = client.get(f"/api/v1/registry/submissions/{outcome_id(db, record)}",
                          headers=auth.headers("worker")).get_json()["blocks"]
    assert block["detail"]["placement_review"] == review.id


def test_a_supervisor_accepts_the_held_move(client, auth, db, merge):
    person = merge(REGISTRATION, registration())
    followup = merge(FOLLOWUP, {"person": person.entity_uuid, "title": "就业", "kind": "need", "status": "open"})
    _far_visit(merge, person.entity_uuid, date="2026-11-20")
    assert fresh_entity(db, followup.entity_uuid).grid_code == WORKER_GRID  # held with the person
    (item,) = _queue(client, auth, "supervisor")
    assert item["entity"]["uuid"] == person.entity_uuid and item["from_grid"] == WORKER_GRID
    assert item["entity"]["properties"]["resident_id"] == "6401**********0218"  # masked like every list
    assert item["point"] == {"lon": pytest.approx(FAR_POINT[0]), "lat": pytest.approx(FAR_POINT[1])}
    assert client.get(f"{PERSONS}/placements", headers=auth.headers("worker")).status_code == 403

    url = f"{PERSONS}/placements/{item['id']}/accept"
    assert client.post(url, headers=auth.headers("supervisor")).status_code == 428
    stale = _decide(client, auth, item, "accept", etag='"placement-0.0"')
    assert stale.status_code == 412 and stale.get_json()["error"] == "registry.stale"
    accepted = _decide(client, auth, item, "accept")
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["status"] == "accepted" and accepted.headers["ETag"] == accepted.get_json()["etag"]

    record = fresh_entity(db, person.entity_uuid)
    assert record.grid_code == item["to_grid"] and record.unit_path == item["path_to"]
    assert record.properties["geometry"].split()[:2] == [str(FAR_POINT[1]), str(FAR_POINT[0])]
    assert event_kinds(db, record) == ["created", "updated", "moved"]
    moved = db.scalar(select(RegistryEvent).where(RegistryEvent.entity_id == record.id, RegistryEvent.kind == "moved"))
    assert (moved.source_type, moved.event_date, moved.previous_unit_path) == (
        "supervisor", "2026-11-28", item["path_from"])
    assert moved.detail["submission"] == item["submission"]
    along = fresh_entity(db, followup.entity_uuid)  # the open follow-up went along, with its own event
    assert along.unit_path == record.unit_path and event_kinds(db, along) == ["created", "moved"]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "registry.placement_accepted")) is not None
    again = _decide(client, auth, accepted.get_json(), "accept")
    assert again.status_code == 409 and again.get_json()["error"] == "registry.placement_decided"
    assert _queue(client, auth, "supervisor") == []
    assert [i["id"] for i in _queue(client, auth, "supervisor", status="accepted")] == [item["id"]]


def test_a_supervisor_rejects_and_a_newer_sighting_supersedes(client, auth, db, merge, far_worker):
    person = merge(REGISTRATION, registration())
    first = _far_visit(merge, person.entity_uuid, date="2026-11-20")
    second = _far_visit(merge, person.entity_uuid, date="2026-11-21")
    assert db.get(PlacementReview, first.review).status == "superseded"
    (item,) = _queue(client, auth, "supervisor")
    assert item["id"] == second.review
    rejected = _decide(client, auth, item, "reject")
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert fresh_entity(db, person.entity_uuid).grid_code == WORKER_GRID
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "registry.placement_rejected")) is not None

    # a move made by someone whose scope holds the new grid supersedes whatever was still open
    third = _far_visit(merge, person.entity_uuid, date="2026-11-22")
    _far_visit(merge, person.entity_uuid, date="2026-11-23", username="far_worker")
    assert db.get(PlacementReview, third.review).status == "superseded"
    assert event_kinds(db, fresh_entity(db, person.entity_uuid))[-2:] == ["moved", "updated"]


def test_held_moves_are_scoped_and_stale_ones_refused(client, auth, db, merge):
    from server.accounts.service import create_user
    from server.demo import DEMO_PASSWORD
    from server.geo.models import AdminUnit
    from server.geo.service import grid_at

    far_township = grid_at(db, *FAR_POINT).path.strip("/").split("/")[1]
    third = db.scalar(select(AdminUnit).where(AdminUnit.level == "township",
                                              AdminUnit.code.not_in(["410184105", far_township])))
    create_user(db, username="outsider", password=DEMO_PASSWORD, role="supervisor", unit_codes=[third.code])
    create_user(db, username="destination", password=DEMO_PASSWORD, role="supervisor", unit_codes=[far_township])
    db.flush()
    person = merge(REGISTRATION, registration())
    _far_visit(merge, person.entity_uuid)
    assert _queue(client, auth, "outsider") == []
    (item,) = _queue(client, auth, "destination")  # the grid it would move to is theirs
    assert _decide(client, auth, item, "accept", user="outsider").status_code == 404
    departed = {"dataset": "persons", "entity_id": "${person}", "save_to": {"residence_status": "residence_status"}}
    merge(departed, {"person": person.entity_uuid, "residence_status": "departed"})
    stale = _decide(client, auth, item, "accept")
    assert stale.status_code == 409 and stale.get_json()["error"] == "registry.placement_stale"


def test_a_new_registration_outside_scope_is_placed_where_the_person_was_found(db, merge):
    created = merge(REGISTRATION, registration(point=FAR_POINT))
    assert created.review is None and fresh_entity(db, created.entity_uuid).grid_code != WORKER_GRID
    assert db.scalar(select(PlacementReview.id)) is None


@pytest.mark.parametrize("rule", ["accept", "reject"])
def test_other_on_outside_rules(db, merge, rule):
    redeclare(db, "persons", lambda block: {**block, "placement": {**block["placement"], "on_outside": rule}})
    person = merge(REGISTRATION, registration())
    if rule == "reject":
        with pytest.raises(RuleViolation) as err:
            _far_visit(merge, person.entity_uuid)
        assert err.value.code == "registry.outside_scope"
    else:
        assert _far_visit(merge, person.entity_uuid).review is None
        assert fresh_entity(db, person.entity_uuid).grid_code != WORKER_GRID
