"""Delta sync: a snapshot of the caller's scope, then what changed after its cursor (upserts and removals)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from server.registry import store, sync
from server.registry.models import RegistryEvent
from tests.registry.conftest import FAR_POINT, PERSONS, REGISTRATION, VISIT, registration


def test_delta_sync_upserts_and_removals(client, auth, merge):
    person = merge(REGISTRATION, registration())
    snap = client.get(f"{PERSONS}/sync", headers=auth.headers("worker")).get_json()
    assert [i["uuid"] for i in snap["items"]] == [person.entity_uuid] and snap["has_more"] is False
    assert snap["items"][0]["properties"]["resident_id"] == "6401**********0218"
    cursor = snap["next_cursor"]
    empty = client.get(f"{PERSONS}/sync", query_string={"cursor": cursor}, headers=auth.headers("worker")).get_json()
    assert empty["items"] == [] and empty["next_cursor"] == cursor
    other = merge(
        REGISTRATION,
        registration(
            "李娜", "450102199704300363", point=FAR_POINT, birth="1997-04-30", phone="13600000000", origin="450102"
        ),
    )
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    delta = client.get(f"{PERSONS}/sync", query_string={"cursor": cursor}, headers=auth.headers("worker")).get_json()
    assert [(i["op"], i["uuid"], i["version"]) for i in delta["items"]] == [("upsert", person.entity_uuid, 2)]
    assert other.entity_uuid not in str(delta)
    merge(  # seen living in another township by someone whose scope holds it: the record moves away
        VISIT,
        {"person": person.entity_uuid, "visit_date": "2026-11-21", "visit_type": "home"},
        point=FAR_POINT,
        username="admin",
    )
    gone = client.get(
        f"{PERSONS}/sync", query_string={"cursor": delta["next_cursor"]}, headers=auth.headers("worker")
    ).get_json()
    assert [(i["op"], i["uuid"]) for i in gone["items"]] == [("remove", person.entity_uuid)]
    paged = client.get(f"{PERSONS}/sync", query_string={"limit": 1}, headers=auth.headers("admin")).get_json()
    assert len(paged["items"]) == 1 and paged["has_more"] is True
    rest = client.get(
        f"{PERSONS}/sync", query_string={"limit": 1, "cursor": paged["next_cursor"]}, headers=auth.headers("admin")
    ).get_json()
    assert len(rest["items"]) == 1 and rest["items"][0]["uuid"] != paged["items"][0]["uuid"]



def test_a_bad_cursor_is_a_located_400(client, auth):
    resp = client.get(f"{PERSONS}/sync", query_string={"cursor": "not-ours"}, headers=auth.headers("worker"))
    assert (resp.status_code, resp.get_json()["error"]) == (400, "request.bad_cursor")


def test_the_high_water_mark_is_the_datasets_last_event(db, merge):
    persons = store.get_dataset(db, "persons")
    before = sync.high_water(db, persons.id)
    person = merge(REGISTRATION, registration())
    last = db.scalar(select(func.max(RegistryEvent.cursor)).where(RegistryEvent.dataset_id == persons.id))
    assert sync.high_water(db, persons.id) == last > before
    assert sync.high_water(db, store.get_dataset(db, "households").id) == 0 and person.entity_uuid


def test_dumps_splices_items_the_database_already_serialised():
    page = {"items": [sync.RawJson('{"op":"upsert","uuid":"a","label":"马"}'), {"op": "remove", "uuid": "b"}],
            "next_cursor": "c", "has_more": False}
    text = sync.dumps(page)
    assert '{"op":"upsert","uuid":"a","label":"马"}' in text  # as the database wrote it, not re-encoded
    assert json.loads(text) == {"items": [{"op": "upsert", "uuid": "a", "label": "马"}, {"op": "remove", "uuid": "b"}],
                                "next_cursor": "c", "has_more": False}
