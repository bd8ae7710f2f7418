"""Department purposes in the registry: datasets, properties and cases outside a duty answer 404, audited."""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from tests.registry.conftest import ID_A, PERSONS, REGISTRATION, registration

FOLLOWUPS = "/api/v1/registry/followups"
CASE = {
    "dataset": "followups",
    "label": "${title}",
    "save_to": {k: k for k in ("person", "title", "kind", "status", "department")},
}
REROUTE = {"dataset": "followups", "entity_id": "${case}", "save_to": {"department": "department"}}


def _denied(db) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "purpose.denied").order_by(AuditEvent.id)))


def test_a_department_reads_only_its_purposes_properties(client, auth, db, merge):
    person = merge(REGISTRATION, registration()).entity_uuid
    police = client.get(f"{PERSONS}/entities/{person}", headers=auth.headers("police")).get_json()["properties"]
    assert police["resident_id"] == ID_A and "occupation" not in police
    hrss = client.get(f"{PERSONS}/entities/{person}", headers=auth.headers("hrss")).get_json()
    assert "resident_id" not in hrss["properties"] and "ethnicity" not in hrss["properties"]
    assert hrss["properties"]["phone"] == "138****5678" and hrss["properties"]["full_name"] == "马小红"
    assert all("resident_id" not in v["properties"] for v in hrss["versions"])
    listed = client.get(f"{PERSONS}/entities", headers=auth.headers("education")).get_json()["items"]
    assert [set(i["properties"]) <= {"full_name", "name_pinyin", "sex", "birth_date", "current_address",
                                      "children_count", "residence_status"} for i in listed] == [True]
    synced = client.get(f"{PERSONS}/sync", headers=auth.headers("hrss")).get_json()["items"]
    assert [("resident_id" in i["properties"], i["uuid"]) for i in synced] == [(False, person)]
    names = {d["name"] for d in client.get("/api/v1/registry/datasets", headers=auth.headers("education")).get_json()}
    assert names == {"persons", "followups"}


def test_reads_outside_the_purpose_are_404_and_audited(client, auth, db, merge):
    person = merge(REGISTRATION, registration()).entity_uuid
    before = len(_denied(db))
    resp = client.get(f"{PERSONS}/entities", query_string={"id_number": ID_A}, headers=auth.headers("hrss"))
    assert resp.status_code == 404
    assert client.get("/api/v1/registry/households/entities", headers=auth.headers("education")).status_code == 404
    assert client.get("/api/v1/registry/households/sync", headers=auth.headers("civil")).status_code == 404
    resp = client.get("/api/v1/forms/follow_up/submissions", headers=auth.headers("hrss"))
    assert resp.status_code == 404
    denied = _denied(db)[before:]
    assert [(d.target_type, d.detail["department"]) for d in denied] == [
        ("registry.persons", "hrss"), ("registry.households", "education"), ("registry.households", "civil"),
        ("submission", "hrss")]
    ok = client.get(f"{PERSONS}/entities", query_string={"id_number": ID_A}, headers=auth.headers("police"))
    assert [i["uuid"] for i in ok.get_json()["items"]] == [person]


def test_a_record_is_read_only_through_its_own_dataset(client, auth, merge):
    person = merge(REGISTRATION, registration()).entity_uuid
    case = merge(CASE, {"person": person, "title": "欠薪", "kind": "appeal", "status": "open", "department": "hrss"})
    assert client.get(f"{PERSONS}/entities/{case.entity_uuid}", headers=auth.headers("admin")).status_code == 404
    assert client.get(f"{FOLLOWUPS}/entities/{case.entity_uuid}", headers=auth.headers("admin")).status_code == 200


def test_sync_follows_a_case_rerouted_between_departments(client, auth, merge):
    person = merge(REGISTRATION, registration()).entity_uuid
    case = merge(CASE, {"person": person, "title": "欠薪", "kind": "appeal", "status": "open", "department": "hrss"})
    hrss = client.get(f"{FOLLOWUPS}/sync", headers=auth.headers("hrss")).get_json()
    police = client.get(f"{FOLLOWUPS}/sync", headers=auth.headers("police")).get_json()
    assert [i["uuid"] for i in hrss["items"]] == [case.entity_uuid] and police["items"] == []
    merge(REROUTE, {"case": case.entity_uuid, "department": "police"})
    hrss_delta = client.get(f"{FOLLOWUPS}/sync", query_string={"cursor": hrss["next_cursor"]},
                            headers=auth.headers("hrss")).get_json()
    police_delta = client.get(f"{FOLLOWUPS}/sync", query_string={"cursor": police["next_cursor"]},
                              headers=auth.headers("police")).get_json()
    assert [(i["op"], i["uuid"]) for i in hrss_delta["items"]] == [("remove", case.entity_uuid)]
    assert [(i["op"], i["uuid"]) for i in police_delta["items"]] == [("upsert", case.entity_uuid)]
