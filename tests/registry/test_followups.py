"""Follow-ups: the follow-up form opens and updates them; open ones move with their person, closed ones stay."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.registry.models import Entity, RegistryEvent
from server.submissions.models import Submission
from tests.registry.conftest import (
    ID_A,
    NEIGHBOUR_GRID,
    REGISTRATION,
    VISIT,
    fresh_entity,
    geopoint,
    publish_form,
    registration,
    submission_status,
    submit,
)

FOLLOW_UP = Path(__file__).resolve().parents[2] / "forms" / "follow_up.xlsx"
WORKER_GRID = "410184105005004"
FOLLOWUPS = "/api/v1/registry/followups"


def _publish(db, monkeypatch) -> str:
    return str(publish_form(db, monkeypatch, FOLLOW_UP.read_bytes(), "follow_up.xlsx").version)


def _open_new(person: str, need: str, description: str) -> dict[str, Any]:
    """A new follow-up: nothing picked under "continue an existing follow-up"."""
    return {"person": person, "person_name": "马小红", "kind": "need", "need_category": need, "source": "visit",
            "description": description, "due_date": "2026-12-31", "department": "hrss", "status": "open"}


def _close(person: str, followup: str) -> dict[str, Any]:
    return {"person": person, "person_name": "马小红", "followup": followup, "action_taken": "介绍到园区就业",
            "department": "none", "status": "resolved", "resolution_date": "2026-11-25", "resolution": "已就业"}


def _created(client, auth, instance_id: str, user: str = "worker") -> str:
    (block,) = client.get(f"/api/v1/registry/submissions/{instance_id}", headers=auth.headers(user)).get_json()[
        "blocks"]
    assert block["dataset"] == "followups" and block["outcome"] == "created", block
    return str(block["entity_uuid"])


def _events(db, entity: Entity) -> list[RegistryEvent]:
    return list(db.scalars(select(RegistryEvent).where(RegistryEvent.entity_id == entity.id)
                           .order_by(RegistryEvent.cursor)))


def _sync(client, auth, user: str, cursor: str | None = None) -> dict[str, Any]:
    return auth.read(f"{FOLLOWUPS}/sync", user, **({"cursor": cursor} if cursor else {}))


def _search(client, auth, user: str, **params: str) -> list[str]:
    resp = client.get(f"{FOLLOWUPS}/entities", query_string=params, headers=auth.headers(user))
    assert resp.status_code == 200, resp.get_json()
    return [i["uuid"] for i in resp.get_json()["items"]]


def test_the_follow_up_form_opens_and_closes_follow_ups(client, auth, db, merge, jobs, monkeypatch):
    person = merge(REGISTRATION, registration())
    version = _publish(db, monkeypatch)
    opened = submit(client, auth, "follow_up", version, _open_new(person.entity_uuid, "employment", "想找工作"))
    assert submission_status(db, opened) == ("merged", [])
    uuid = _created(client, auth, opened)
    followup = fresh_entity(db, uuid)
    assert followup.label == "马小红：想找工作" and followup.grid_code == WORKER_GRID
    assert followup.followed_id == fresh_entity(db, person.entity_uuid).id
    assert {k: followup.properties[k] for k in ("kind", "need", "status", "person", "due_date")} == {
        "kind": "need", "need": "employment", "status": "open", "person": person.entity_uuid, "due_date": "2026-12-31"}
    # the form's settings say it opens cases: the day it was received is the case's opened date
    received = db.scalar(select(Submission).where(Submission.instance_id == opened)).received_at
    assert followup.properties["opened_date"] == received.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    undated = submit(client, auth, "follow_up", version,
                     {**_open_new(person.entity_uuid, "employment", "想学技能"), "due_date": ""})
    undated_id = _created(client, auth, undated)
    props = fresh_entity(db, undated_id).properties
    opened_on = date.fromisoformat(props["opened_date"])
    assert props["due_date"] == (opened_on + timedelta(days=20)).isoformat()  # a service need: 20 days

    closed = submit(client, auth, "follow_up", version, _close(person.entity_uuid, uuid))
    assert submission_status(db, closed) == ("merged", [])
    followup = fresh_entity(db, uuid)
    assert followup.version == 2 and followup.label == "马小红：想找工作"  # the update leaves the title
    assert followup.properties["status"] == "resolved" and followup.properties["resolution"] == "已就业"
    assert followup.properties["resolved_date"] == "2026-11-25"
    assert followup.properties["notes"] == "想找工作"  # not asked again, not erased
    assert _search(client, auth, "worker", follows=person.entity_uuid) == [undated_id, uuid]


def test_open_follow_ups_move_with_the_person_closed_ones_stay(client, auth, db, merge, jobs, monkeypatch, neighbour):
    person = merge(REGISTRATION, registration())
    version = _publish(db, monkeypatch)
    open_id = _created(client, auth, submit(client, auth, "follow_up", version,
                                            _open_new(person.entity_uuid, "schooling", "孩子入学")))
    done_id = _created(client, auth, submit(client, auth, "follow_up", version,
                                            _open_new(person.entity_uuid, "medical", "就医")))
    submit(client, auth, "follow_up", version, _close(person.entity_uuid, done_id))
    before = _sync(client, auth, "worker")
    assert {i["uuid"] for i in before["items"]} == {open_id, done_id}
    assert _sync(client, auth, "neighbour")["items"] == []
    old_path = fresh_entity(db, open_id).unit_path

    # the neighbouring grid's worker finds the person living there now: a transfer within their scope
    _, point = neighbour
    moved = merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-27", "visit_type": "home",
                          "location": geopoint(point)}, point=point, username="neighbour")
    assert moved.review is None and fresh_entity(db, person.entity_uuid).grid_code == NEIGHBOUR_GRID

    followup = fresh_entity(db, open_id)
    assert (followup.grid_code, followup.version) == (NEIGHBOUR_GRID, 2)
    assert followup.unit_path == fresh_entity(db, person.entity_uuid).unit_path
    kinds = [(e.kind, e.previous_unit_path, e.event_date) for e in _events(db, followup)]
    opened = db.scalar(select(Submission).where(Submission.instance_id == _events(db, followup)[0].source_id))
    opened_on = opened.received_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    # each event is dated the day its submission arrived in the city: the follow-up today, the visit's fixed day
    assert kinds == [("created", None, opened_on), ("moved", old_path, "2026-11-28")]
    moved_event = _events(db, followup)[-1]
    assert moved_event.detail == {"from_grid": WORKER_GRID, "to_grid": NEIGHBOUR_GRID, "with": person.entity_uuid}
    assert moved_event.source_id == _events(db, fresh_entity(db, person.entity_uuid))[-2].source_id  # the same visit
    done = fresh_entity(db, done_id)
    assert done.grid_code == WORKER_GRID and [e.kind for e in _events(db, done)] == ["created", "updated"]

    # the new grid's worker has it in sync and search; the old grid's worker is told to drop it
    assert [i["uuid"] for i in _sync(client, auth, "neighbour")["items"]] == [open_id]
    assert _search(client, auth, "neighbour", follows=person.entity_uuid) == [open_id]
    assert _search(client, auth, "worker", follows=person.entity_uuid) == [done_id]
    delta = _sync(client, auth, "worker", before["next_cursor"])
    assert [(i["op"], i["uuid"]) for i in delta["items"]] == [("remove", open_id)]
    assert _search(client, auth, "supervisor", follows=person.entity_uuid, status="active") == [done_id, open_id]

    # past submissions stay with the grid they were made in
    paths = set(db.scalars(select(Submission.unit_path).where(Submission.instance_id.like("uuid:%"))))
    assert paths and all(p.rstrip("/").endswith(WORKER_GRID) for p in paths)
    history = client.get(f"{FOLLOWUPS}/entities/{open_id}", headers=auth.headers("neighbour")).get_json()
    assert history["submissions"][0]["unit_path"] == old_path


def test_a_follow_up_for_an_unknown_person_is_rejected_with_a_code(client, auth, db, jobs, monkeypatch):
    version = _publish(db, monkeypatch)
    iid = submit(client, auth, "follow_up", version,
                 _open_new("0b5b8a56-8f7e-4a4e-9a39-6b1c3c1f0e11", "employment", "x"))
    status, errors = submission_status(db, iid)
    assert status == "rejected" and errors[-1]["code"] == "registry.linked_entity_not_found"


def test_merging_duplicates_hands_follow_ups_to_the_survivor_and_unmerge_takes_them_back(
        client, auth, db, merge, jobs, monkeypatch, neighbour):
    survivor = merge(REGISTRATION, registration("马小红", ID_A))
    _, point = neighbour
    duplicate = merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处", point=point),
                      point=point, username="neighbour")
    assert fresh_entity(db, duplicate.entity_uuid).grid_code == NEIGHBOUR_GRID
    version = _publish(db, monkeypatch)
    def opened(need: str, text: str) -> str:
        sent = submit(client, auth, "follow_up", version, _open_new(duplicate.entity_uuid, need, text), "neighbour")
        return _created(client, auth, sent, "neighbour")

    open_id, done_id = opened("employment", "想找工作"), opened("medical", "就医")
    submit(client, auth, "follow_up", version, _close(duplicate.entity_uuid, done_id), "neighbour")
    (candidate,) = client.get("/api/v1/registry/persons/duplicates", headers=auth.headers("supervisor")).get_json()[
        "items"]
    decided = client.post(f"/api/v1/registry/persons/duplicates/{candidate['id']}/merge",
                          json={"survivor": survivor.entity_uuid},
                          headers={**auth.headers("supervisor"), "If-Match": candidate["etag"]})
    assert decided.status_code == 200, decided.get_json()

    survivor_row = fresh_entity(db, survivor.entity_uuid)
    moved, stayed = fresh_entity(db, open_id), fresh_entity(db, done_id)
    assert (moved.followed_id, moved.properties["person"], moved.grid_code) == (
        survivor_row.id, survivor.entity_uuid, WORKER_GRID)  # open: goes to the survivor's grid
    assert (stayed.followed_id, stayed.properties["person"], stayed.grid_code) == (
        survivor_row.id, survivor.entity_uuid, NEIGHBOUR_GRID)  # closed: stays where it was handled
    assert _events(db, moved)[-1].kind == "moved" and _events(db, stayed)[-1].kind == "updated"
    assert _events(db, moved)[-1].detail["instead_of"] == duplicate.entity_uuid
    assert _search(client, auth, "worker", follows=survivor.entity_uuid) == [open_id]
    assert sorted(_search(client, auth, "supervisor", follows=survivor.entity_uuid)) == sorted([open_id, done_id])

    merged = decided.get_json()
    undone = client.post(f"/api/v1/registry/persons/duplicates/{candidate['id']}/unmerge",
                         headers={**auth.headers("supervisor"), "If-Match": merged["etag"]})
    assert undone.status_code == 200, undone.get_json()
    back, closed = fresh_entity(db, open_id), fresh_entity(db, done_id)
    duplicate_row = fresh_entity(db, duplicate.entity_uuid)
    assert (back.followed_id, back.properties["person"], back.grid_code) == (
        duplicate_row.id, duplicate.entity_uuid, NEIGHBOUR_GRID)
    assert (closed.followed_id, closed.grid_code) == (duplicate_row.id, NEIGHBOUR_GRID)
    assert _search(client, auth, "worker", follows=survivor.entity_uuid) == []
