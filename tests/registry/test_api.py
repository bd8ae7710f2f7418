"""Registry API: scoped search and detail, masking and audit, scoped queues and sync, Collect's CSV.

Decisions on conflicts and duplicates: test_decisions.py; sync's snapshot and delta: test_sync.py.
"""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.registry.service import entity_list_csv
from tests.registry.conftest import FAR_POINT, ID_A, PERSONS, REGISTRATION, VISIT, page_of, registration


def test_lists_and_details_are_scoped(client, auth, merge):
    near = merge(REGISTRATION, registration())
    far = merge(
        REGISTRATION,
        registration(
            "李娜", "450102199704300363", point=FAR_POINT, birth="1997-04-30", phone="13600000000", origin="450102"
        ),
    )
    for user, expected in (
        ("worker", {near.entity_uuid}),
        ("supervisor", {near.entity_uuid}),
        ("admin", {near.entity_uuid, far.entity_uuid}),
    ):
        assert {i["uuid"] for i in page_of(client, auth, user)["items"]} == expected, user
    assert client.get(f"{PERSONS}/entities/{far.entity_uuid}", headers=auth.headers("worker")).status_code == 404
    assert client.get(f"{PERSONS}/entities/{far.entity_uuid}", headers=auth.headers("admin")).status_code == 200
    assert client.get(f"{PERSONS}/entities", headers=auth.headers("designer")).status_code == 403
    assert client.get(f"{PERSONS}/conflicts", headers=auth.headers("worker")).status_code == 403
    assert client.get(f"{PERSONS}/entities").status_code == 401


def test_search_filters_and_keyset_pages(client, auth, merge):
    person = merge(REGISTRATION, registration())
    for i in range(3):
        merge(
            REGISTRATION, registration(f"王{i}明", None, phone=f"1370000000{i}", birth=f"199{i}-01-01", origin="411081")
        )
    assert [i["uuid"] for i in page_of(client, auth, "worker", q="马小")["items"]] == [person.entity_uuid]
    assert [i["uuid"] for i in page_of(client, auth, "worker", q="maxiao")["items"]] == [person.entity_uuid]
    assert [i["uuid"] for i in page_of(client, auth, "worker", q="mxh")["items"]] == [person.entity_uuid]
    assert [i["uuid"] for i in page_of(client, auth, "worker", id_number=ID_A.lower())["items"]] == [person.entity_uuid]
    assert [i["uuid"] for i in page_of(client, auth, "worker", phone="138-1234-5678")["items"]] == [person.entity_uuid]
    assert page_of(
        client, auth, "worker", ethnicity="3", arrived_from="2026-01-01", status="active", grid="410184105005004"
    )["items"]
    assert page_of(client, auth, "worker", arrived_to="2025-01-01")["items"] == []
    first = page_of(client, auth, "worker", limit=3)
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = page_of(client, auth, "worker", limit=3, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert client.get(f"{PERSONS}/entities?cursor=%%%", headers=auth.headers("worker")).status_code == 400


def test_sensitive_values_masked_unless_the_role_needs_them(client, auth, merge, db):
    person = merge(REGISTRATION, registration())
    shown = page_of(client, auth, "worker")["items"][0]["properties"]
    assert shown["resident_id"] == "6401**********0218" and shown["phone"] == "138****5678"
    detail = client.get(f"{PERSONS}/entities/{person.entity_uuid}", headers=auth.headers("supervisor")).get_json()
    assert ID_A not in str(detail) and "13812345678" not in str(detail)
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.reveal")).all()
    full = client.get(f"{PERSONS}/entities/{person.entity_uuid}", headers=auth.headers("police")).get_json()
    assert full["properties"]["resident_id"] == ID_A and full["properties"]["phone"] == "13812345678"
    audits = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.reveal")).all()
    assert len(audits) == 1 and audits[0].detail["entities"] == [person.entity_uuid]
    assert set(audits[0].detail["properties"]) == {"resident_id", "phone"}


def test_detail_has_versions_events_and_submissions(client, auth, merge):
    person = merge(REGISTRATION, registration())
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    resp = client.get(f"{PERSONS}/entities/{person.entity_uuid}", headers=auth.headers("worker"))
    body = resp.get_json()
    assert resp.headers["ETag"] == body["etag"] == f'"{person.entity_uuid}.2"'
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert [e["kind"] for e in body["events"]] == ["created", "updated"]
    assert len(body["submissions"]) == 2 and body["submissions"][0]["instance_id"].startswith("uuid:")


def test_datasets_are_listed(client, auth):
    body = client.get("/api/v1/registry/datasets", headers=auth.headers("supervisor")).get_json()
    persons = next(d for d in body if d["name"] == "persons")
    assert persons["identity"]["strong"] == ["resident_id"] and persons["merge_requires_approval"] is True
    assert {"name": "resident_id", "sensitive": True}.items() <= next(
        p for p in persons["properties"] if p["name"] == "resident_id"
    ).items()


def test_queues_and_sync_are_scoped_too(client, auth, merge, outsider):
    person = merge(REGISTRATION, registration())
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"}, base_version=1)
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-21", "visit_type": "phone"}, base_version=1)
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111"))
    for path in ("conflicts", "duplicates"):
        assert client.get(f"{PERSONS}/{path}", headers=auth.headers("supervisor")).get_json()["items"], path
        assert client.get(f"{PERSONS}/{path}", headers=auth.headers("outsider")).get_json()["items"] == [], path
    assert client.get(f"{PERSONS}/sync", headers=auth.headers("outsider")).get_json()["items"] == []
    assert client.get(f"{PERSONS}/entities", headers=auth.headers("outsider")).get_json()["items"] == []
    url = f"{PERSONS}/entities/{person.entity_uuid}"
    assert client.get(url, headers=auth.headers("outsider")).status_code == 404
    resolve = client.post(
        f"{url}/resolution",
        json={"properties": {}},
        headers={**auth.headers("outsider"), "If-Match": f'"{person.entity_uuid}.3"'},
    )
    assert resolve.status_code == 404


def test_lists_search_and_sync_mask_even_for_full_value_roles(client, auth, merge, db, app, user_named):
    """Police and admins see full numbers only on an explicit read of one record (audited), never in a list."""
    person = merge(REGISTRATION, registration())
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处"))  # a duplicate candidate
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-21", "visit_type": "home"},
          point=FAR_POINT)  # a held move
    for user in ("police", "admin"):
        listed = page_of(client, auth, user)
        by_id = page_of(client, auth, user, id_number=ID_A)
        snapshot = client.get(f"{PERSONS}/sync", headers=auth.headers(user)).get_json()
        for page in (listed, by_id, snapshot):
            shown = next(i for i in page["items"] if i["uuid"] == person.entity_uuid)["properties"]
            assert shown["resident_id"] == "6401**********0218" and shown["phone"] == "138****5678", user
            assert ID_A not in str(page) and "13812345678" not in str(page), user
        with app.app_context():
            csv_body = entity_list_csv(db, user_named(user), "persons").decode()
        assert "6401**********0218" in csv_body and ID_A not in csv_body, user
    for path in ("duplicates", "placements"):
        queue = client.get(f"{PERSONS}/{path}", headers=auth.headers("admin")).get_json()
        assert queue["items"], path
        assert ID_A not in str(queue) and "13812345678" not in str(queue), path
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action.like("registry.%"))).all()
    full = client.get(f"{PERSONS}/entities/{person.entity_uuid}", headers=auth.headers("police")).get_json()
    assert full["properties"]["resident_id"] == ID_A
    audits = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.reveal")).all()
    assert len(audits) == 1 and audits[0].detail["entities"] == [person.entity_uuid]
