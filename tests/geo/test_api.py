"""Unit tree, detail and locate, scoped to the caller."""

from __future__ import annotations

WORKER_GRID = "410184105005004"
SUPERVISOR_TOWNSHIP = "410184105"
OTHER_TOWNSHIP_GRID = "410184001001001"


def _codes(nodes):
    for node in nodes:
        yield node["code"]
        yield from _codes(node["children"])


def test_worker_tree_is_only_their_grid(client, auth):
    tree = client.get("/api/v1/geo/units", headers=auth.headers("worker")).get_json()
    assert list(_codes(tree)) == [WORKER_GRID]


def test_supervisor_tree_is_their_township(client, auth):
    tree = client.get("/api/v1/geo/units", headers=auth.headers("supervisor")).get_json()
    codes = list(_codes(tree))
    assert tree[0]["code"] == SUPERVISOR_TOWNSHIP and len(tree) == 1
    assert all(code.startswith(SUPERVISOR_TOWNSHIP) for code in codes)
    assert len(codes) == 1 + 9 + 36


def test_admin_sees_whole_city(client, auth):
    tree = client.get("/api/v1/geo/units", headers=auth.headers("admin")).get_json()
    assert tree[0]["code"] == "410184" and len(tree[0]["children"]) == 15
    assert "boundary" not in tree[0]


def test_the_tree_carries_every_boundary_for_a_map(client, auth):
    tree = client.get("/api/v1/geo/units?boundaries=true", headers=auth.headers("admin")).get_json()

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    nodes = list(walk(tree))
    assert len(nodes) > 100 and all(n["boundary"]["type"] == "MultiPolygon" for n in nodes)
    assert client.get("/api/v1/geo/units?boundaries=maybe", headers=auth.headers("admin")).status_code == 422


def test_unit_detail_has_geojson_and_ancestors(client, auth):
    body = client.get(f"/api/v1/geo/units/{WORKER_GRID}", headers=auth.headers("worker")).get_json()
    assert body["boundary"]["type"] == "MultiPolygon"
    assert [a["level"] for a in body["ancestors"]] == ["city", "township", "community"]
    assert body["is_demo"] is True


def test_out_of_scope_detail_is_404_like_missing(client, auth):
    out = client.get(f"/api/v1/geo/units/{OTHER_TOWNSHIP_GRID}", headers=auth.headers("supervisor"))
    missing = client.get("/api/v1/geo/units/999999", headers=auth.headers("supervisor"))
    assert out.status_code == missing.status_code == 404
    assert out.get_json()["error"] == missing.get_json()["error"] == "geo.unit_not_found"
    parent = client.get("/api/v1/geo/units/410184", headers=auth.headers("worker"))
    assert parent.status_code == 404


def test_locate_point_in_worker_grid(client, auth):
    body = client.get("/api/v1/geo/locate?lon=113.74&lat=34.40", headers=auth.headers("worker")).get_json()
    assert body["grid"]["code"] == WORKER_GRID
    assert [a["code"] for a in body["ancestors"]] == ["410184", SUPERVISOR_TOWNSHIP, WORKER_GRID[:12]]


def test_locate_outside_scope_or_city(client, auth):
    headers = auth.headers("worker")
    assert client.get("/api/v1/geo/locate?lon=113.61&lat=34.51", headers=headers).status_code == 404
    assert client.get("/api/v1/geo/locate?lon=100&lat=20", headers=auth.headers("admin")).status_code == 404


def test_locate_bad_arguments(client, auth):
    headers = auth.headers("worker")
    resp = client.get("/api/v1/geo/locate?lon=abc&lat=999", headers=headers)
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"lon", "lat"}


def test_geo_requires_login(client):
    assert client.get("/api/v1/geo/units").status_code == 401


def test_neighbours_touch_the_grid_and_stay_in_scope(client, auth):
    url = f"/api/v1/geo/units/{WORKER_GRID}/neighbours"
    seen = client.get(url, headers=auth.headers("supervisor")).get_json()
    codes = {u["code"] for u in seen}
    siblings = {f"{WORKER_GRID[:12]}00{i}" for i in (1, 2, 3)}
    assert siblings <= codes and WORKER_GRID not in codes  # the community's other grids all touch it
    assert all(u["level"] == "grid" and u["boundary"]["type"] == "MultiPolygon" for u in seen)
    assert all(c.startswith(SUPERVISOR_TOWNSHIP) for c in codes)
    far = client.get(f"/api/v1/geo/units/{OTHER_TOWNSHIP_GRID}/neighbours", headers=auth.headers("admin")).get_json()
    assert WORKER_GRID not in {u["code"] for u in far}  # another township's grid does not touch this one
    whole = {u["code"] for u in client.get(url, headers=auth.headers("admin")).get_json()}
    assert codes <= whole
    assert client.get(url, headers=auth.headers("worker")).get_json() == []  # the worker's scope is one grid
    out = client.get(f"/api/v1/geo/units/{OTHER_TOWNSHIP_GRID}/neighbours", headers=auth.headers("supervisor"))
    assert out.status_code == 404 and out.get_json()["error"] == "geo.unit_not_found"
