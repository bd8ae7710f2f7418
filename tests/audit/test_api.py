"""GET /api/v1/audit: admins find who did what, and every full read of sensitive data."""

from __future__ import annotations

import pytest

from tests.registry.conftest import REGISTRATION, merge, registration, sealer, user_named  # noqa: F401 (fixtures)

URL = "/api/v1/audit"


def test_an_admin_finds_a_full_read_of_a_resident_id(client, auth, merge):  # noqa: F811
    person = merge(REGISTRATION, registration())
    read = client.get(f"/api/v1/registry/persons/entities/{person.entity_uuid}", headers=auth.headers("police"))
    assert read.status_code == 200 and read.get_json()["properties"]["resident_id"] == "640104198506120218"
    masked = client.get(f"/api/v1/registry/persons/entities/{person.entity_uuid}", headers=auth.headers("worker"))
    assert "*" in masked.get_json()["properties"]["resident_id"]

    resp = client.get(URL, query_string={"full_reads": "true", "target": person.entity_uuid},
                      headers=auth.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    (event,) = resp.get_json()["items"]
    assert event["actor"] == "police" and event["action"] == "registry.reveal"
    assert "resident_id" in event["detail"]["properties"]
    by_actor = client.get(URL, query_string={"actor": "police", "action": "registry.*"}, headers=auth.headers("admin"))
    assert event["id"] in [e["id"] for e in by_actor.get_json()["items"]]


def test_pages_follow_the_cursor(client, auth):
    first = client.get(URL, query_string={"limit": 2}, headers=auth.headers("admin")).get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(URL, query_string={"limit": 2, "cursor": first["next_cursor"]},
                        headers=auth.headers("admin")).get_json()
    assert second["items"][0]["id"] < first["items"][-1]["id"]


@pytest.mark.parametrize("username", ["designer", "supervisor", "worker", "police"])
def test_admins_only(client, auth, username):
    assert client.get(URL, headers=auth.headers(username)).status_code == 403


@pytest.mark.parametrize(("query", "status"), [
    ({"limit": "0"}, 422), ({"limit": "x"}, 422), ({"since": "2026-12-01T00:00:00"}, 422),
    ({"since": "yesterday"}, 422), ({"cursor": "%%%"}, 400), ({"cursor": "LTE"}, 400),
    ({"since": "2026-12-02T00:00:00+08:00", "until": "2026-12-01T00:00:00+08:00"}, 422),
    ({"target": "x" * 65}, 422), ({"action": "\x00*"}, 422), ({"actor": "a\nb"}, 422), ({"target": "\"]}'"}, 200),
])
def test_bad_queries_are_4xx_never_500(client, auth, query, status):
    resp = client.get(URL, query_string=query, headers=auth.headers("admin"))
    assert resp.status_code == status, resp.get_json()
    if status >= 400:
        assert "error" in resp.get_json()
