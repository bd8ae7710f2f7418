"""Health probes, the error map, request ids, OpenAPI and its local docs UI."""

from __future__ import annotations

import json
import random
import re

import pytest
from openapi_spec_validator import validate

from server.app import create_app


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database(client):
    body = client.get("/readyz").get_json()
    assert body == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_reports_unreachable_redis(settings, engine):
    app = create_app(settings.with_(redis_url="redis://127.0.0.1:1/0"), engine=engine)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["redis"].startswith("error")


def test_readyz_with_real_redis(settings, engine):
    app = create_app(settings.with_(redis_url="redis://127.0.0.1:6379/15"), engine=engine)
    assert app.test_client().get("/readyz").get_json()["checks"]["redis"] == "ok"


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc123"}).headers["X-Request-Id"] == "abc123"
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/healthz").headers["X-Request-Id"])


def test_unknown_route_is_json_404(client, auth):
    resp = client.get("/api/v1/nope", headers=auth.headers("worker"))
    assert resp.status_code == 404
    assert resp.get_json()["error"] == "not_found"
    assert set(resp.get_json()) == {"code", "status", "message", "errors", "error"}


def test_wrong_method_is_405(client, auth):
    resp = client.put("/api/v1/me", headers=auth.headers("worker"))
    assert resp.status_code == 405 and resp.get_json()["error"] == "request.method_not_allowed"


def test_malformed_json_is_400(client):
    resp = client.post("/api/v1/auth/token", data="{nope", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "request.malformed_json"


@pytest.mark.parametrize("body, status, code", [
    (b'{"username": ' + b"[" * 100_000 + b"]" * 100_000 + b', "password": "x"}', 400, "request.json_too_deep"),
    (b'{"a": ' * 100_000, 400, "request.json_too_deep"),
    (b'{"username": ' + b"[" * 100 + b"]" * 100 + b', "password": "x"}', 400, "request.json_too_deep"),
    (b'{"username": "a", "password": NaN}', 400, "request.malformed_json"),
    (b'{"username": "a", "password": -Infinity}', 400, "request.malformed_json"),
    (b'{"username": "a", "password": 1e309}', 422, "request.number_out_of_range"),
    (b'{"username": "a\\u0000", "password": "x"}', 422, "request.nul_character"),
    (b'{"username": "a", "password": "x", "\\u0000": 1}', 422, "request.nul_character"),
])
def test_hostile_json_bodies_get_a_clear_4xx(client, db, body, status, code):
    from sqlalchemy import func, select

    from server.accounts.models import AccessToken

    tokens = db.scalar(select(func.count()).select_from(AccessToken))
    resp = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"] == code
    assert db.scalar(select(func.count()).select_from(AccessToken)) == tokens


def test_every_json_endpoint_refuses_deep_nesting(app, client, auth):
    """Not only the login: every route that reads a JSON body, with a valid token so the body is read."""
    headers = {**auth.headers("admin"), "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            url = rule.rule.replace("<string:", "<").replace("<int:", "<")
            for name in rule.arguments:
                url = url.replace(f"<{name}>", "1")
            resp = client.open(url, method=method, data=deep, headers=headers)
            assert resp.status_code < 500, (method, url, resp.get_data()[:200])


def test_invalid_fields_are_all_listed_with_422(client):
    resp = client.post("/api/v1/auth/token", json={"username": "", "extra": 1})
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"username", "password", "extra"}


def test_messages_follow_accept_language(client):
    zh = client.get("/api/v1/me", headers={"Accept-Language": "zh-CN"}).get_json()["message"]
    en = client.get("/api/v1/me", headers={"Accept-Language": "en-US"}).get_json()["message"]
    assert zh == "需要登录" and en == "Authentication required"


def test_openapi_document_validates(client):
    spec = client.get("/api/openapi.json").get_json()
    validate(spec)
    assert "/api/v1/auth/token" in spec["paths"] and "/api/v1/geo/locate" in spec["paths"]


def test_docs_ui_uses_only_local_assets(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/swagger-ui/") for a in assets)
    for asset in assets:
        resp = client.get(asset)
        assert resp.status_code == 200
        resp.close()


def _hostile_bodies():
    rnd = random.Random(7)
    yield b""
    yield b"\xff\xfe\x00garbage"
    yield b"[]"
    yield b"null"
    yield json.dumps({"username": ["a"], "password": {"x": 1}}).encode()
    yield json.dumps({"username": "a" * 10000, "password": "b"}).encode()
    yield b"[" * 100_000 + b"]" * 100_000
    yield b'{"username": ' + b"{" * 50_000 + b"}" * 50_000 + b"}"
    yield b'{"username": "a", "password": NaN}'
    yield b'{"username": "a", "password": 1e309}'
    for _ in range(10):
        yield bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data"])
def test_no_500_from_malformed_requests(client, auth, content_type):
    headers = auth.headers("admin")
    paths = ["/api/v1/auth/token", "/api/v1/me", "/api/v1/geo/units", "/api/v1/geo/units/%00",
             "/api/v1/geo/locate?lon=1e999&lat=nan", "/api/v1/geo/units/" + "9" * 5000,
             "/api/v1/users", "/api/v1/users/worker", "/api/v1/users/wor%00ker/password", "/api/v1/users/police/tokens",
             "/api/v1/audit?since=%00", "/api/v1/registry/datasets/persons/properties",
             "/api/v1/registry/datasets/%00/properties"]
    for body in _hostile_bodies():
        for path in paths:
            for method in ("GET", "POST", "DELETE", "PATCH"):
                resp = client.open(path, method=method, data=body, headers={**headers, "Content-Type": content_type})
                assert resp.status_code < 500, (method, path, body[:40], resp.get_data()[:200])
                if resp.status_code >= 400:
                    assert "error" in resp.get_json()


def _app_failing_with(settings, engine, failure):
    """The application with one extra route whose work fails the way ``failure`` does, for real."""
    app = create_app(settings, engine=engine)
    app.add_url_rule("/fail", "fail", lambda: failure() or "unreachable")
    return app.test_client()


def test_an_unreachable_database_answers_503_with_retry_after(settings, engine):
    from sqlalchemy import create_engine, text

    lost = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/gone", connect_args={"connect_timeout": 2})

    def query_the_lost_database():
        with lost.connect() as conn:
            conn.execute(text("SELECT 1"))

    resp = _app_failing_with(settings, engine, query_the_lost_database).get("/fail")
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    assert resp.get_json()["error"] == "service.database_unavailable"


def test_an_unreachable_redis_answers_503_with_retry_after(settings, engine):
    from redis import Redis

    resp = _app_failing_with(settings, engine, lambda: Redis.from_url("redis://127.0.0.1:1/0").ping()).get("/fail")
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    assert resp.get_json()["error"] == "service.queue_unavailable"


def test_a_bad_statement_is_still_a_500_not_an_outage(settings, engine):
    from sqlalchemy import text

    def bad_statement():
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))

    resp = _app_failing_with(settings, engine, bad_statement).get("/fail")
    assert resp.status_code == 500 and resp.get_json()["error"] == "internal"
