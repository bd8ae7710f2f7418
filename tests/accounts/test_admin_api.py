"""Admins manage accounts over HTTP: create, change role and units, disable, reset passwords, API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent

USERS = "/api/v1/users"
WORKER_GRID = "410184105005004"
TOWNSHIP = "410184105"


def _admin(auth):
    return auth.headers("admin")


def _login(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _create(client, auth, **overrides):
    body = {"username": "li_worker", "password": "long-password", "role": "grid_worker", "units": [WORKER_GRID],
            "display_name": "李网格员", **overrides}
    return client.post(USERS, json=body, headers=_admin(auth))


def test_an_admin_creates_a_worker_who_can_log_in(client, auth, db):
    resp = _create(client, auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body == {**body, "username": "li_worker", "role": "grid_worker", "is_active": True}
    assert [u["code"] for u in body["units"]] == [WORKER_GRID]
    assert "password" not in body and "password_hash" not in body
    assert _login(client, "li_worker", "long-password").status_code == 200
    listed = client.get(USERS, headers=_admin(auth)).get_json()
    assert "li_worker" in [u["username"] for u in listed]
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.create")) is not None


def test_creating_reports_every_problem_located(client, auth):
    resp = _create(client, auth, username="bad name!", units=["000000"])
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"username", "units"}
    assert _create(client, auth, username="worker").status_code == 409
    assert _create(client, auth, role="overlord").status_code == 422
    assert _create(client, auth, password="short").status_code == 422


def test_role_and_units_change_and_old_tokens_stop_working(client, auth, db):
    _create(client, auth)
    token = _login(client, "li_worker", "long-password").get_json()["access_token"]
    resp = client.patch(f"{USERS}/li_worker", json={"role": "supervisor", "units": [TOWNSHIP]}, headers=_admin(auth))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["role"] == "supervisor" and [u["code"] for u in resp.get_json()["units"]] == [TOWNSHIP]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.update").order_by(AuditEvent.id.desc()))
    assert event.detail["role"] == ["grid_worker", "supervisor"]
    bad = client.patch(f"{USERS}/li_worker", json={"units": ["999999"]}, headers=_admin(auth))
    assert bad.status_code == 422 and "units" in bad.get_json()["errors"]


def test_disable_and_enable(client, auth):
    _create(client, auth)
    token = _login(client, "li_worker", "long-password").get_json()["access_token"]
    assert client.patch(f"{USERS}/li_worker", json={"is_active": False}, headers=_admin(auth)).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _login(client, "li_worker", "long-password").status_code == 401
    assert client.patch(f"{USERS}/li_worker", json={"is_active": True}, headers=_admin(auth)).status_code == 200
    assert _login(client, "li_worker", "long-password").status_code == 200


def test_admins_cannot_lock_themselves_out(client, auth):
    resp = client.patch(f"{USERS}/admin", json={"is_active": False}, headers=_admin(auth))
    assert resp.status_code == 422 and "is_active" in resp.get_json()["errors"]
    resp = client.patch(f"{USERS}/admin", json={"role": "supervisor", "units": [TOWNSHIP]}, headers=_admin(auth))
    assert resp.status_code == 422 and "role" in resp.get_json()["errors"]


def test_password_reset_chosen_or_generated_shown_once(client, auth, db):
    _create(client, auth)
    chosen = client.post(f"{USERS}/li_worker/password", json={"password": "another-password"}, headers=_admin(auth))
    assert chosen.status_code == 200 and chosen.get_json() == {"password": None}
    assert _login(client, "li_worker", "another-password").status_code == 200
    generated = client.post(f"{USERS}/li_worker/password", json={}, headers=_admin(auth)).get_json()["password"]
    assert len(generated) >= 12
    assert _login(client, "li_worker", "another-password").status_code == 401
    assert _login(client, "li_worker", generated).status_code == 200
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).all()
    assert [e.detail["generated"] for e in events] == [False, True]
    assert generated not in str([e.detail for e in events])
    short = client.post(f"{USERS}/li_worker/password", json={"password": "short"}, headers=_admin(auth))
    assert short.status_code == 422


def test_department_tokens_are_shown_once_listed_without_secret_and_revocable(client, auth):
    issued = client.post(f"{USERS}/police/tokens", json={"label": "公安人口系统"}, headers=_admin(auth))
    assert issued.status_code == 201, issued.get_json()
    secret = issued.get_json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["username"] == "police"
    listed = client.get(f"{USERS}/police/tokens", headers=_admin(auth)).get_json()
    assert [t["label"] for t in listed] == ["公安人口系统"] and secret not in str(listed)
    token_id = listed[0]["id"]
    assert client.delete(f"{USERS}/police/tokens/{token_id}", headers=_admin(auth)).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert client.delete(f"{USERS}/police/tokens/999999", headers=_admin(auth)).status_code == 404
    not_department = client.post(f"{USERS}/worker/tokens", json={"label": "x"}, headers=_admin(auth))
    assert not_department.status_code == 422 and not_department.get_json()["error"] == "token.not_department"


@pytest.mark.parametrize("username", ["designer", "supervisor", "worker", "police"])
def test_only_admins(client, auth, username):
    headers = auth.headers(username)
    assert client.get(USERS, headers=headers).status_code == 403
    assert client.get(f"{USERS}/worker", headers=headers).status_code == 403
    assert client.patch(f"{USERS}/worker", json={"role": "admin"}, headers=headers).status_code == 403
    assert client.post(f"{USERS}/worker/password", json={}, headers=headers).status_code == 403
    assert client.post(f"{USERS}/police/tokens", json={"label": "x"}, headers=headers).status_code == 403
    assert client.get(f"{USERS}/police/tokens", headers=headers).status_code == 403
    assert _create(client, auth).status_code == 201  # as admin, for contrast
    assert client.get(USERS).status_code == 401


def test_unknown_users_are_404(client, auth):
    for method, path in (("GET", "nobody"), ("PATCH", "nobody"), ("POST", "nobody/password"),
                         ("GET", "nobody/tokens")):
        resp = client.open(f"{USERS}/{path}", method=method, json={}, headers=_admin(auth))
        assert resp.status_code == 404 and resp.get_json()["error"] == "user.not_found", (method, path)


def test_hostile_input_is_4xx_never_500(client, auth):
    headers = _admin(auth)
    for body in ({"username": "a\u0000b", "password": "long-password", "role": "admin"},
                 {"username": "ok_name", "password": "long-password", "role": "supervisor", "units": ["41\u0000"]},
                 {"username": "ok_name", "password": "long-password", "role": "admin", "display_name": "\u0000"},
                 {"username": ["x"], "password": {"a": 1}, "role": 5}):
        resp = client.post(USERS, json=body, headers=headers)
        assert 400 <= resp.status_code < 500 and "error" in resp.get_json(), body
    assert client.get(f"{USERS}/wor%00ker", headers=headers).status_code == 404
    assert client.patch(f"{USERS}/worker", json={"units": ["\u0000"]}, headers=headers).status_code == 422
    assert client.post(f"{USERS}/police/tokens", json={"label": "a\u0000"}, headers=headers).status_code == 422
    assert client.get(f"{USERS}/" + "x" * 5000, headers=headers).status_code == 404


def test_the_user_list_filters_by_text_role_department_unit_and_state(client, auth):
    _create(client, auth)
    _create(client, auth, username="wang_worker", display_name="王网格员", role="grid_worker", units=[WORKER_GRID])
    client.patch(f"{USERS}/wang_worker", json={"is_active": False}, headers=_admin(auth))

    def names(**query):
        resp = client.get(USERS, query_string=query, headers=_admin(auth))
        assert resp.status_code == 200, resp.get_json()
        return [u["username"] for u in resp.get_json()]

    assert names(q="李网格") == ["li_worker"]
    assert names(q="WORKER", role="grid_worker") == ["li_worker", "wang_worker", "worker"]
    assert names(q="_worker", is_active="false") == ["wang_worker"]
    assert names(role="department") == ["civil", "education", "hrss", "police"]
    assert names(department="police") == ["police"]
    assert names(unit=WORKER_GRID) == ["li_worker", "wang_worker", "worker"]
    assert names(q="%") == [] and names(q="nobody") == []
    for query in ({"role": "overlord"}, {"is_active": "maybe"}, {"q": "a\u0000b"}, {"unit": "x" * 40}):
        resp = client.get(USERS, query_string=query, headers=_admin(auth))
        assert resp.status_code == 422 and "error" in resp.get_json(), query


def test_a_department_account_names_a_known_department_and_only_it_does(client, auth, db):
    missing = _create(client, auth, username="health_sys", role="department", units=[TOWNSHIP])
    assert missing.status_code == 422 and "department" in missing.get_json()["errors"]
    unknown = _create(client, auth, username="health_sys", role="department", units=[TOWNSHIP], department="mi6")
    assert unknown.status_code == 422 and "unknown department" in str(unknown.get_json()["errors"]["department"])
    worker = _create(client, auth, department="police")
    assert worker.status_code == 422 and "department" in worker.get_json()["errors"]
    made = _create(client, auth, username="health_sys", role="department", units=[TOWNSHIP], department="health")
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["department"] == "health"
    moved = client.patch(f"{USERS}/health_sys", json={"department": "nowhere"}, headers=_admin(auth))
    assert moved.status_code == 422 and "department" in moved.get_json()["errors"]
    demoted = client.patch(f"{USERS}/health_sys", json={"role": "supervisor"}, headers=_admin(auth))
    assert demoted.status_code == 200 and demoted.get_json()["department"] is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.update").order_by(AuditEvent.id.desc()))
    assert event.detail["department"] == ["health", None] and event.detail["role"] == ["department", "supervisor"]
    back = client.patch(f"{USERS}/health_sys", json={"role": "department"}, headers=_admin(auth))
    assert back.status_code == 422 and "department" in back.get_json()["errors"]


def test_departments_are_listed_with_what_their_purpose_reads(client, auth):
    resp = client.get("/api/v1/departments", headers=_admin(auth))
    assert resp.status_code == 200, resp.get_json()
    by_code = {d["code"]: d for d in resp.get_json()}
    assert by_code["police"]["label_zh"] == "公安局"
    police = by_code["police"]["purpose"]
    assert "resident_id" in police["datasets"]["persons"] and police["cases"] is True
    assert "resident_id" not in by_code["education"]["purpose"]["datasets"]["persons"]
    assert by_code["tourism"]["purpose"] is None
    for username in ("designer", "supervisor", "worker", "police"):
        assert client.get("/api/v1/departments", headers=auth.headers(username)).status_code == 403
    assert client.get("/api/v1/departments").status_code == 401
