"""The process caches: a change made anywhere (here by SQL, as another process would) takes effect within a second.

The clock is injected: the tests move it instead of sleeping. The SQL goes through the
test's session without the ORM, so this process is not told of the change: only the
trigger-bumped generation, read at most once a second, can drop the cached rows.
"""

from __future__ import annotations

import base64

from sqlalchemy import text

from server.accounts.passwords import hash_password
from server.cache import Caches, install_caches
from server.demo import DEMO_PASSWORD
from server.submissions import service
from tests.submissions.support import publish_registration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _caches(db) -> Clock:
    clock = Clock()
    install_caches(db, Caches(clock=clock))
    return clock


def _basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_a_revoked_token_is_refused_within_a_second(db, client, auth):
    clock = _caches(db)
    headers = auth.headers("worker")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.execute(text("UPDATE access_tokens SET revoked_at = CURRENT_TIMESTAMP"))
    clock.now += 0.5
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # the cached caller, for under a second
    clock.now += 0.5
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_deactivated_user_is_refused_within_a_second(db, client, auth):
    clock = _caches(db)
    headers = auth.headers("worker")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.execute(text("UPDATE users SET is_active = :no WHERE username = 'worker'"), {"no": False})
    clock.now += 0.9
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.now += 0.1
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_changed_password_is_refused_within_a_second(db, client):
    clock = _caches(db)
    old = _basic("worker", DEMO_PASSWORD)
    assert client.get("/openrosa/formList", headers=old).status_code == 200
    db.execute(text("UPDATE users SET password_hash = :h WHERE username = 'worker'"),
               {"h": hash_password("a-new-password")})
    clock.now += 0.5
    assert client.get("/openrosa/formList", headers=old).status_code == 200
    clock.now += 0.5
    assert client.get("/openrosa/formList", headers=old).status_code == 401
    assert client.get("/openrosa/formList", headers=_basic("worker", "a-new-password")).status_code == 200


def test_a_retired_form_version_shows_retired_within_a_second(db, monkeypatch):
    publish_registration(db, monkeypatch)
    db.commit()
    clock = _caches(db)
    version = service.resolve_form_version(db, "person_registration", _published(db))
    assert version.state == "published"
    db.execute(text("UPDATE form_versions SET state = 'retired' WHERE id = :id"), {"id": version.id})
    db.expunge_all()  # a new request's session: only the cache can answer
    clock.now += 0.5
    assert service.resolve_form_version(db, "person_registration", version.version).state == "published"
    db.expunge_all()
    clock.now += 0.5
    assert service.resolve_form_version(db, "person_registration", version.version).state == "retired"


def test_a_change_made_in_this_process_takes_effect_at_once(db, client, auth):
    _caches(db)  # the clock never moves: only the flush that revoked the token tells the cache
    headers = auth.headers("worker")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code in (200, 204)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def _published(db) -> str:
    return str(db.execute(text("SELECT v.version FROM form_versions v JOIN forms f ON f.id = v.form_pk "
                               "WHERE f.form_id = 'person_registration' AND v.state = 'published'")).scalar_one())


def test_a_renamed_unit_reaches_the_cached_caller_within_a_second(db, auth):
    from server.accounts.identity import caller_for_bearer

    clock = _caches(db)
    token = auth.token("worker")
    user = caller_for_bearer(db, token)
    assert user is not None and user.scope_units
    unit_id, old_name = user.scope_units[0].id, user.scope_units[0].name
    db.execute(text("UPDATE admin_units SET name = '改名网格' WHERE id = :id"), {"id": unit_id})
    db.expunge_all()
    clock.now += 0.5
    cached = caller_for_bearer(db, token)
    assert cached is not None and cached.scope_units[0].name == old_name
    db.expunge_all()
    clock.now += 0.5
    fresh = caller_for_bearer(db, token)
    assert fresh is not None and fresh.scope_units[0].name == "改名网格"
