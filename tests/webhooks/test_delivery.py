"""Webhook delivery to a real receiver on the loopback: signed, in order, retried, dead-lettered, replayed."""

from __future__ import annotations

from typing import Any

from server import worker
from server.registry.merge import SubmissionEssentials, merge_submission_data
from server.webhooks import jobs, signing
from tests.registry.conftest import ID_A, REGISTRATION, VISIT, registration
from tests.registry.test_purposes import CASE, REROUTE
from tests.webhooks.conftest import WEBHOOKS, subscribe

FEED = "/api/v1/feed"


def _feed(client: Any, auth: Any, username: str) -> list[dict[str, Any]]:
    resp = client.get(FEED, query_string={"limit": 1000}, headers=auth.headers(username))
    assert resp.status_code == 200
    items: list[dict[str, Any]] = resp.get_json()["items"]
    return items


def _history(merge: Any) -> str:
    person = merge(REGISTRATION, registration()).entity_uuid
    merge(VISIT, {"person": person, "visit_date": "2026-11-20", "visit_type": "home"})
    merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15"))
    return person


def test_events_arrive_signed_in_feed_order_with_the_feeds_bodies(client, auth, merge, receiver, hooks):
    clock, _ = hooks
    sub = subscribe(client, auth, "police", receiver.url, description="公安流动人口平台")
    assert sub["secret"].startswith("whsec_") and sub["account"] == "police"
    _history(merge)
    jobs.deliver(sub["id"])
    feed = _feed(client, auth, "police")
    assert len(feed) == 3
    assert [r.event for r in receiver.received] == feed  # the same bodies, in commit order
    assert receiver.received[0].event["state"]["properties"]["resident_id"] == ID_A  # police's duty opens it
    for got in receiver.received:
        assert signing.verify(sub["secret"], got.headers[signing.HEADER], got.body, int(clock().timestamp()))
        assert not signing.verify("whsec_wrong", got.headers[signing.HEADER], got.body, int(clock().timestamp()))
        assert not signing.verify(sub["secret"], got.headers[signing.HEADER], got.body + b" ",
                                  int(clock().timestamp()))
    # nothing new: nothing sent again; the secret is never shown again
    jobs.deliver(sub["id"])
    assert len(receiver.received) == 3
    listed = client.get(WEBHOOKS, headers=auth.headers("police")).get_json()["items"]
    assert "secret" not in listed[0] and listed[0]["counts"] == {"pending": 0, "delivered": 3, "dead": 0}


def test_a_committed_registry_change_rings_the_sender(client, auth, receiver, hooks, sealer, user_named):
    subscribe(client, auth, "police", receiver.url)
    data = registration()
    with worker.job_session() as session:
        merge_submission_data(session, SubmissionEssentials(
            instance_id=data["meta"]["instanceID"], entities=REGISTRATION, data=data,
            submitter_id=user_named("worker").id, received_at=hooks[0](), point=None, base_version=None), sealer)
    assert [r.event["kind"] for r in receiver.received] == ["created"]  # pushed once the merge committed
    assert receiver.received[0].event == _feed(client, auth, "police")[0]


def test_each_department_gets_only_its_purposes_events(client, auth, merge, receiver, hooks):
    police = subscribe(client, auth, "police", receiver.url + "/police")
    hrss = subscribe(client, auth, "hrss", receiver.url + "/hrss")
    education = subscribe(client, auth, "education", receiver.url + "/education")
    person = merge(REGISTRATION, registration()).entity_uuid
    case = merge(CASE, {"person": person, "title": "欠薪", "kind": "appeal", "status": "open", "department": "hrss"})
    merge(REROUTE, {"case": case.entity_uuid, "department": "police"})  # the case leaves hrss's share
    for sub in (police, hrss, education):
        jobs.deliver(sub["id"])
    by_path: dict[str, list[dict[str, Any]]] = {}
    for got in receiver.received:
        by_path.setdefault(got.path.rsplit("/", 1)[-1], []).append(got.event)
    for username in ("police", "hrss", "education"):
        assert by_path.get(username, []) == _feed(client, auth, username)
    assert [(e["dataset"], e["op"]) for e in by_path["hrss"] if e["uuid"] == case.entity_uuid] == [
        ("followups", "upsert"), ("followups", "remove")]
    assert all("resident_id" not in e.get("state", {}).get("properties", {}) for e in by_path["hrss"])
    assert {e["dataset"] for e in by_path["education"]} == {"persons"}
    assert all("resident_id" not in e["state"]["properties"] for e in by_path["education"])
    assert {e["uuid"] for e in by_path["police"]} == {person, case.entity_uuid}
