"""Supervisor decisions through the API: a conflict resolved with If-Match; duplicates merged, unmerged, kept apart."""

from __future__ import annotations

from tests.registry.conftest import ID_A, PERSONS, REGISTRATION, VISIT, page_of, registration


def test_stale_update_resolved_by_a_supervisor_with_if_match(client, auth, merge):
    person = merge(REGISTRATION, registration())
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"}, base_version=1)
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-21", "visit_type": "phone"}, base_version=1)
    queue = client.get(f"{PERSONS}/conflicts", headers=auth.headers("supervisor")).get_json()["items"]
    assert len(queue) == 1 and queue[0]["conflict"] == "hard"
    both = queue[0]["conflict_detail"]["values"]["last_visit_date"]
    assert (both["current"], both["incoming"]) == ("2026-11-20", "2026-11-21")
    url = f"{PERSONS}/entities/{person.entity_uuid}/resolution"
    body = {"properties": {"last_visit_date": "2026-11-20", "last_visit_type": "home"}}
    assert client.post(url, json=body, headers=auth.headers("supervisor")).status_code == 428
    stale = client.post(url, json=body, headers={**auth.headers("supervisor"), "If-Match": f'"{person.entity_uuid}.2"'})
    assert stale.status_code == 412
    ok = client.post(url, json=body, headers={**auth.headers("supervisor"), "If-Match": queue[0]["etag"]})
    assert ok.status_code == 200, ok.get_json()
    resolved = ok.get_json()
    assert resolved["version"] == 4 and resolved["conflict"] is None
    assert resolved["properties"]["last_visit_date"] == "2026-11-20"
    assert resolved["versions"][-1]["source_type"] == "supervisor"
    assert client.get(f"{PERSONS}/conflicts", headers=auth.headers("supervisor")).get_json()["items"] == []
    again = client.post(url, json=body, headers={**auth.headers("supervisor"), "If-Match": resolved["etag"]})
    assert again.status_code == 409


def test_duplicate_candidate_merge_and_unmerge(client, auth, merge):
    first = merge(REGISTRATION, registration("马小红", ID_A))
    second = merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处"))
    queue = client.get(f"{PERSONS}/duplicates", headers=auth.headers("supervisor")).get_json()["items"]
    assert len(queue) == 1 and queue[0]["reasons"]
    cand = queue[0]
    assert cand["a"]["properties"]["resident_id"] == "6401**********0218"
    url = f"{PERSONS}/duplicates/{cand['id']}"
    assert (
        client.post(f"{url}/merge", json={}, headers={**auth.headers("supervisor"), "If-Match": '"x"'}).status_code
        == 412
    )
    merged = client.post(
        f"{url}/merge",
        json={"survivor": first.entity_uuid},
        headers={**auth.headers("supervisor"), "If-Match": cand["etag"]},
    )
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["status"] == "merged" and merged.get_json()["survivor"] == first.entity_uuid
    survivor = client.get(f"{PERSONS}/entities/{first.entity_uuid}", headers=auth.headers("worker")).get_json()
    assert survivor["merged_from"] == [second.entity_uuid] and survivor["events"][-1]["kind"] == "merged"
    loser = client.get(f"{PERSONS}/entities/{second.entity_uuid}", headers=auth.headers("worker")).get_json()
    assert loser["status"] == "merged" and loser["merged_into"] == first.entity_uuid
    assert [v["version"] for v in loser["versions"]] == [1, 2]  # its history is kept
    names = {i["uuid"] for i in page_of(client, auth, "worker")["items"]}
    assert names == {first.entity_uuid}
    # a later visit to the merged record lands on the survivor
    later = merge(VISIT, {"person": second.entity_uuid, "visit_date": "2026-11-22", "visit_type": "home"})
    assert later.entity_uuid == first.entity_uuid
    undone = client.post(
        f"{url}/unmerge", headers={**auth.headers("supervisor"), "If-Match": merged.get_json()["etag"]}
    )
    assert undone.status_code == 200 and undone.get_json()["status"] == "unmerged"
    back = client.get(f"{PERSONS}/entities/{second.entity_uuid}", headers=auth.headers("worker")).get_json()
    assert back["status"] == "active" and back["merged_into"] is None and back["events"][-1]["kind"] == "unmerged"


def test_mark_distinct(client, auth, merge):
    merge(REGISTRATION, registration("马小红", ID_A))
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111"))
    cand = client.get(f"{PERSONS}/duplicates", headers=auth.headers("supervisor")).get_json()["items"][0]
    resp = client.post(
        f"{PERSONS}/duplicates/{cand['id']}/distinct", headers={**auth.headers("supervisor"), "If-Match": cand["etag"]}
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "distinct"
    assert client.get(f"{PERSONS}/duplicates", headers=auth.headers("supervisor")).get_json()["items"] == []


def test_one_candidate_by_id_for_an_unmerge(client, auth, merge, outsider):
    first = merge(REGISTRATION, registration("马小红", ID_A))
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111"))
    cand = client.get(f"{PERSONS}/duplicates", headers=auth.headers("supervisor")).get_json()["items"][0]
    url = f"{PERSONS}/duplicates/{cand['id']}"
    merged = client.post(f"{url}/merge", json={}, headers={**auth.headers("supervisor"), "If-Match": cand["etag"]})
    assert merged.status_code == 200
    # the merge event on the person's page names the candidate; its ETag comes from here
    survivor = client.get(f"{PERSONS}/entities/{first.entity_uuid}", headers=auth.headers("supervisor")).get_json()
    assert survivor["events"][-1]["detail"]["candidate"] == cand["id"]
    one = client.get(url, headers=auth.headers("supervisor"))
    assert one.status_code == 200 and one.headers["ETag"] == one.get_json()["etag"] == merged.get_json()["etag"]
    assert one.get_json()["status"] == "merged" and one.get_json()["a"]["properties"]["resident_id"].count("*") == 10
    assert client.get(url, headers=auth.headers("outsider")).status_code == 404
    assert client.get(url, headers=auth.headers("worker")).status_code == 403
    assert client.get(f"{PERSONS}/duplicates/999999", headers=auth.headers("supervisor")).status_code == 404

