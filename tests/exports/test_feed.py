"""The change feed: a new subscriber replaying from zero holds the registry's state; each department its share."""

from __future__ import annotations

from typing import Any

from tests.registry.conftest import FAR_POINT, ID_A, MOVE_OUT, REGISTRATION, VISIT, registration
from tests.registry.test_purposes import CASE, REROUTE

FEED = "/api/v1/feed"
PERSONS = "/api/v1/registry/persons"


def replay(client: Any, auth: Any, username: str, cursor: str | None = None, limit: int = 2,
           mirror: dict[str, Any] | None = None, **query: Any) -> tuple[dict[str, Any], str, list[str]]:
    """Follow the feed to its end as a subscriber would; (mirror, last cursor, kinds seen)."""
    mirror = {} if mirror is None else mirror
    kinds: list[str] = []
    while True:
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        resp = client.get(FEED, query_string=params, headers=auth.headers(username))
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()
        for item in page["items"]:
            kinds.append(item["kind"])
            if item["op"] == "upsert":
                mirror[item["uuid"]] = {"version": item["version"], **item["state"]}
            else:
                mirror.pop(item["uuid"], None)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return mirror, cursor, kinds


def _history(client, auth, merge, far_worker) -> list[str]:
    first = merge(REGISTRATION, registration("马小红", ID_A)).entity_uuid
    second = merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处")).entity_uuid
    third = merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15")).entity_uuid
    merge(VISIT, {"person": third, "visit_date": "2026-11-20", "visit_type": "home"}, point=FAR_POINT,
          username="far_worker")
    merge(MOVE_OUT, {"person": first, "departure_date": "2026-10-01", "move_reason": "work",
                     "residence_status": "departed"})
    merge(VISIT, {"person": first, "visit_date": "2026-11-21", "visit_type": "home"})
    [cand] = client.get(f"{PERSONS}/duplicates", headers=auth.headers("supervisor")).get_json()["items"]
    url = f"{PERSONS}/duplicates/{cand['id']}"
    merged = client.post(f"{url}/merge", json={"survivor": first},
                         headers={**auth.headers("supervisor"), "If-Match": cand["etag"]})
    assert merged.status_code == 200, merged.get_json()
    return [first, second, third]


def _registry(client, auth, uuids: list[str]) -> dict[str, Any]:
    out = {}
    for uuid in uuids:
        d = client.get(f"{PERSONS}/entities/{uuid}", headers=auth.headers("admin")).get_json()
        out[uuid] = {k: d[k] for k in ("version", "label", "unit_path", "status", "properties")}
    return out


def test_a_new_subscriber_replaying_from_zero_holds_the_registrys_state(client, auth, merge, far_worker):
    uuids = _history(client, auth, merge, far_worker)
    mirror, cursor, kinds = replay(client, auth, "admin", dataset="persons")
    assert {"created", "updated", "moved", "departed", "returned", "merged"} <= set(kinds)
    assert {u: {k: v for k, v in s.items() if k != "at"} for u, s in mirror.items()} == _registry(client, auth, uuids)
    assert mirror[uuids[1]]["status"] == "merged" and mirror[uuids[0]]["properties"]["resident_id"] == ID_A
    # then it stays current: only what happened since its cursor
    merge(VISIT, {"person": uuids[2], "visit_date": "2026-11-25", "visit_type": "phone"}, point=FAR_POINT,
          username="far_worker")
    mirror, _, kinds = replay(client, auth, "admin", cursor=cursor, mirror=mirror, dataset="persons")
    assert kinds == ["updated"]
    assert mirror == {**mirror, **_registry(client, auth, uuids)}


def test_a_department_mirrors_exactly_its_purpose(client, auth, merge, far_worker):
    person = merge(REGISTRATION, registration()).entity_uuid
    case = merge(CASE, {"person": person, "title": "欠薪", "kind": "appeal", "status": "open", "department": "hrss"})
    hrss, hrss_cursor, _ = replay(client, auth, "hrss")
    assert set(hrss) == {person, case.entity_uuid}
    assert "resident_id" not in hrss[person]["properties"] and hrss[person]["properties"]["phone"] == "138****5678"
    police, police_cursor, _ = replay(client, auth, "police")
    assert set(police) == {person} and police[person]["properties"]["resident_id"] == ID_A
    education, _, _ = replay(client, auth, "education", dataset="persons")
    assert set(education[person]["properties"]) <= {"full_name", "name_pinyin", "sex", "birth_date",
                                                     "current_address", "children_count", "residence_status"}
    merge(REROUTE, {"case": case.entity_uuid, "department": "police"})  # the case leaves hrss's share
    hrss, _, _ = replay(client, auth, "hrss", cursor=hrss_cursor, mirror=hrss)
    police, _, _ = replay(client, auth, "police", cursor=police_cursor, mirror=police)
    assert set(hrss) == {person} and set(police) == {person, case.entity_uuid}


def test_bad_feed_requests(client, auth):
    resp = client.get(FEED, query_string={"cursor": "not-ours"}, headers=auth.headers("admin"))
    assert (resp.status_code, resp.get_json()["error"]) == (400, "feed.bad_cursor")
    resp = client.get(FEED, query_string={"dataset": "aliens"}, headers=auth.headers("admin"))
    assert (resp.status_code, resp.get_json()["error"]) == (422, "feed.unknown_dataset")
    resp = client.get(FEED, query_string={"dataset": "households"}, headers=auth.headers("education"))
    assert (resp.status_code, resp.get_json()["error"]) == (404, "feed.dataset_not_found")
    assert client.get(FEED, headers=auth.headers("designer")).status_code == 403


def test_the_feed_is_scoped_to_the_callers_grids(client, auth, merge, far_worker):
    near = merge(REGISTRATION, registration()).entity_uuid
    far = merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15", point=FAR_POINT),
                username="far_worker").entity_uuid
    assert set(replay(client, auth, "worker")[0]) == {near}
    assert set(replay(client, auth, "far_worker")[0]) == {far}
    assert set(replay(client, auth, "admin")[0]) == {near, far}


def test_each_caller_sees_in_the_feed_what_the_registry_shows_it(db, client, auth, merge, sealer):
    """An undeclared key, a JSON null, a sealed value stored without its token: the feed's whitelist keeps
    exactly what the registry's own rule (Shaper, checked against show_row in test_shaping.py) keeps."""
    from sqlalchemy import select, update

    from server.accounts.models import User
    from server.exports.shaping import Shaper
    from server.registry import store
    from server.registry.models import Entity, EntityVersion

    person = merge(REGISTRATION, registration()).entity_uuid
    [version] = db.scalars(select(EntityVersion).join(Entity, Entity.id == EntityVersion.entity_id)
                           .where(Entity.uuid == person))
    odd = {**version.properties, "retired_property": "x", "occupation": None, "ethnicity": None}
    db.execute(update(EntityVersion).where(EntityVersion.id == version.id).values(
        properties=odd, sealed={"phone": version.sealed["phone"]}))
    db.flush()
    spec = store.declared(db)["persons"]
    for username in ("admin", "police", "supervisor", "hrss", "education"):
        user = db.scalar(select(User).where(User.username == username))
        mirror, _, _ = replay(client, auth, username, dataset="persons")
        expected = Shaper(spec, user, sealer).properties(odd, {"phone": version.sealed["phone"]})
        assert mirror[person]["properties"] == expected, username
