"""Login, logout, throttling and /me over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.accounts.models import AccessToken
from server.accounts.service import set_user_active, token_digest


def test_login_returns_expiring_token_and_me_shows_scope(client, auth):
    resp = client.post("/api/v1/auth/token", json={"username": "worker", "password": "gridreg-demo"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert len(body["access_token"]) >= 40
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}).get_json()
    assert me["username"] == "worker" and me["role"] == "grid_worker"
    assert [u["level"] for u in me["scope"]] == ["grid"]


def test_token_is_stored_hashed(client, db):
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "gridreg-demo"}).get_json()
    stored = db.scalars(select(AccessToken.token_hash)).all()
    assert token["access_token"] not in stored
    assert token_digest(token["access_token"]) in stored


def test_wrong_password_and_unknown_user_look_the_same(client):
    a = client.post("/api/v1/auth/token", json={"username": "worker", "password": "nope-nope"})
    b = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "nope-nope"})
    assert a.status_code == b.status_code == 401
    assert a.get_json() == b.get_json()
    assert a.get_json()["error"] == "auth.invalid_credentials"


def test_repeated_failures_lock_the_username(client):
    for _ in range(5):
        assert client.post("/api/v1/auth/token", json={"username": "worker", "password": "bad-pass"}).status_code == 401
    locked = client.post("/api/v1/auth/token", json={"username": "worker", "password": "gridreg-demo"})
    assert locked.status_code == 429
    assert locked.get_json()["error"] == "auth.locked"
    assert int(locked.headers["Retry-After"]) > 0
    # other users are unaffected
    assert client.post("/api/v1/auth/token", json={"username": "admin", "password": "gridreg-demo"}).status_code == 200


def test_logout_revokes_the_token(client, auth):
    headers = auth.headers("supervisor")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"] == "auth.required"


def test_expired_token_is_refused(client, auth, db):
    headers = auth.headers("worker")
    for token in db.scalars(select(AccessToken)):
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_disabled_user_loses_access(client, auth, db):
    headers = auth.headers("worker")
    set_user_active(db, "worker", False)
    db.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "worker", "password": "gridreg-demo"}).status_code == 401


def test_missing_or_garbage_authorization(client):
    for header in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x" * 50},
                   {"Authorization": "Basic !!!"}, {"Authorization": "Token abc"}):
        resp = client.get("/api/v1/me", headers=header)
        assert resp.status_code == 401, header


def test_basic_auth_failures_count_towards_lockout(client):
    import base64

    def basic(password):
        return {"Authorization": "Basic " + base64.b64encode(f"worker:{password}".encode()).decode()}

    for _ in range(5):
        assert client.head("/openrosa/submission", headers=basic("wrong-one")).status_code == 401
    locked = client.head("/openrosa/submission", headers=basic("gridreg-demo"))
    assert locked.status_code == 429
    resp = client.post("/api/v1/auth/token", json={"username": "worker", "password": "gridreg-demo"})
    assert resp.status_code == 429
