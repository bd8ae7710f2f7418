"""Designers declare properties over HTTP; everyone who works with the registry reads declarations and versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.registry import declarations

BASE = "/api/v1/registry/datasets"


def _declare(client, auth, body, username="designer", dataset="persons"):
    return client.post(f"{BASE}/{dataset}/properties", json=body, headers=auth.headers(username))


def test_a_designer_adds_a_property_as_a_new_version(client, auth, db):
    before = client.get(f"{BASE}/persons", headers=auth.headers("designer")).get_json()
    resp = _declare(client, auth, {"name": "hobby", "type": "text", "label_zh": "爱好", "label_en": "Hobby"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["version"] == before["version"] + 1
    hobby = next(p for p in body["properties"] if p["name"] == "hobby")
    assert hobby == {**hobby, "type": "text", "label_zh": "爱好", "label_en": "Hobby", "sensitive": False}
    assert body["versions"][-1]["source"] == "api" and "hobby" in body["versions"][-1]["properties"]
    assert "hobby" not in body["versions"][-2]["properties"]
    assert "hobby" in declarations.spec(db, "persons").properties
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "dataset.declare",
                                               AuditEvent.target_id == "persons").order_by(AuditEvent.id.desc()))
    assert event.detail == {**event.detail, "source": "api", "added": ["hobby"], "version": body["version"]}


def test_id_phone_and_ethnicity_are_always_sensitive(client, auth):
    resp = _declare(client, auth, {"name": "work_phone", "type": "phone", "label_zh": "单位电话"}, username="admin")
    assert resp.status_code == 201
    assert next(p for p in resp.get_json()["properties"] if p["name"] == "work_phone")["sensitive"] is True
    refused = _declare(client, auth, {"name": "spouse_id", "type": "cn_resident_id", "label_zh": "配偶身份证号",
                                      "sensitive": False})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"sensitive": ["a cn_resident_id property is always sensitive"]}


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "1st", "type": "text", "label_zh": "第一"}, "name"),
    ({"name": "__x", "type": "text", "label_zh": "x"}, "name"),
    ({"name": "label", "type": "text", "label_zh": "标签"}, "name"),
    ({"name": "a b", "type": "text", "label_zh": "空格"}, "name"),
    ({"name": "x" * 65, "type": "text", "label_zh": "长"}, "name"),
    ({"name": "ok_name", "type": "colour", "label_zh": "颜色"}, "type"),
    ({"name": "ok_name", "type": "text", "label_zh": "两行\n标签"}, "label_zh"),
    ({"name": "ok_name", "type": "text", "label_zh": "   "}, "label_zh"),
    ({"name": "ok_name", "type": "text", "label_zh": "好", "label_en": "x\u202e"}, "label_en"),
    ({"name": "ok_name", "type": "text", "label_zh": "长" * 101}, "label_zh"),
])
def test_bad_names_labels_and_types_are_located_422s(client, auth, body, field):
    resp = _declare(client, auth, body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"] == "registry.invalid_property"
    assert set(resp.get_json()["errors"]) == {field}


def test_select_properties_need_their_list(client, auth):
    resp = _declare(client, auth, {"name": "blood_type", "type": "select", "label_zh": "血型"})
    assert resp.status_code == 422 and resp.get_json()["error"] == "registry.declaration_refused"
    assert resp.get_json()["errors"]["declaration"][0]["path"] == "datasets.persons.properties.blood_type.list"
    ok = _declare(client, auth, {"name": "blood_type", "type": "select", "label_zh": "血型", "list": "blood"})
    assert ok.status_code == 201


def test_an_existing_name_is_409_and_an_unknown_dataset_404(client, auth):
    assert _declare(client, auth, {"name": "phone", "type": "phone", "label_zh": "电话"}).status_code == 409
    resp = _declare(client, auth, {"name": "hobby", "type": "text", "label_zh": "爱好"}, dataset="pets")
    assert resp.status_code == 404 and resp.get_json()["error"] == "registry.dataset_not_found"


@pytest.mark.parametrize("username", ["worker", "supervisor", "police"])
def test_only_admins_and_designers_declare(client, auth, username):
    resp = _declare(client, auth, {"name": "hobby", "type": "text", "label_zh": "爱好"}, username=username)
    assert resp.status_code == 403


def test_declarations_are_read_with_their_versions(client, auth):
    for username in ("designer", "worker", "admin"):
        listed = client.get(BASE, headers=auth.headers(username))
        assert listed.status_code == 200
        assert [d["name"] for d in listed.get_json()] == ["followups", "households", "persons", "services"]
    detail = client.get(f"{BASE}/persons", headers=auth.headers("designer")).get_json()
    assert detail["versions"][0]["source"] == "file" and "resident_id" in detail["versions"][0]["properties"]
    assert client.get(f"{BASE}/pets", headers=auth.headers("designer")).status_code == 404
    assert client.get(BASE).status_code == 401


def test_hostile_bodies_never_500(client, auth):
    headers = {**auth.headers("designer"), "Content-Type": "application/json"}
    for body in (b"", b"[]", b"null", b"\xff\xfe", b'{"name": ["x"], "type": {}, "label_zh": 5}',
                 b'{"name": "x", "type": "text", "label_zh": "' + b"a" * 5000 + b'"}',
                 b'{"name": "ok", "type": "text", "label_zh": "\\u0000"}',
                 b'{"name": "ok", "type": "select", "label_zh": "ok", "list": "a\\u0000"}',
                 b'{"name": "ok", "type": "select", "label_zh": "ok", "list": "l", "values": ["\\u0000"]}',
                 b'{"name": "ok\\u0000", "type": "text", "label_zh": "ok"}'):
        resp = client.post(f"{BASE}/persons/properties", data=body, headers=headers)
        assert 400 <= resp.status_code < 500, (body[:30], resp.get_data()[:200])
        assert "error" in resp.get_json()
    assert client.get(f"{BASE}/pe%00ts", headers=headers).status_code == 404
    nul = client.post(f"{BASE}/pe%00ts/properties", json={"name": "x", "type": "text", "label_zh": "x"},
                      headers=headers)
    assert nul.status_code == 404
