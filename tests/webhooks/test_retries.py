"""A failing receiver: retries with growing waits, later events held back, then a dead letter; replay delivers it."""

from __future__ import annotations

import pytest

from server.webhooks import jobs
from tests.registry.conftest import REGISTRATION, registration
from tests.webhooks.conftest import WEBHOOKS, subscribe


def _three_people(merge):
    merge(REGISTRATION, registration())
    merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15"))
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处"))


def test_a_transient_failure_is_retried_and_later_events_wait_their_turn(client, auth, merge, receiver, hooks):
    clock, waits = hooks
    sub = subscribe(client, auth, "police", receiver.url)
    _three_people(merge)
    failures = {"left": 2}

    def answer(_event):
        if failures["left"]:
            failures["left"] -= 1
            return 503
        return 200

    receiver.answer = answer
    jobs.deliver(sub["id"])
    first = receiver.cursors()[0]
    assert receiver.cursors() == [first] and waits == [10]
    jobs.deliver(sub["id"])  # too early: its wait has not passed, nothing is sent
    assert receiver.cursors() == [first] and waits[-1] == 10
    clock.advance(10)
    jobs.deliver(sub["id"])
    assert receiver.cursors() == [first, first] and waits[-1] == 20  # the wait doubles
    clock.advance(20)
    jobs.deliver(sub["id"])
    feed = [item["cursor"] for item in client.get("/api/v1/feed", headers=auth.headers("police")).get_json()["items"]]
    assert len(feed) == 3 and feed[0] == first
    assert receiver.cursors() == [first, first, first, feed[1], feed[2]]  # the others only after it, in order
    page = client.get(f"{WEBHOOKS}/{sub['id']}/deliveries", headers=auth.headers("police")).get_json()
    assert [d["status"] for d in page["items"]] == ["delivered"] * 3
    assert page["items"][-1]["attempts"] == 3 and page["items"][-1]["last_status"] == 200


def _fail_every_attempt(settings, subscription_id, receiver, clock, waits):
    """The receiver answers 500 to every attempt, each made once its backoff has passed: a dead letter."""
    receiver.answer = lambda _event: 500
    jobs.deliver(subscription_id)
    for _ in range(settings.webhook_max_attempts - 1):
        clock.advance(waits[-1])
        jobs.deliver(subscription_id)


def test_a_dead_receiver_gets_every_retry_then_a_dead_letter_and_replay_delivers_it(
        settings, client, auth, merge, receiver, hooks):
    clock, waits = hooks
    sub = subscribe(client, auth, "police", receiver.url)
    merge(REGISTRATION, registration())
    _fail_every_attempt(settings, sub["id"], receiver, clock, waits)
    assert len(receiver.received) == settings.webhook_max_attempts
    assert waits == [min(10 * 2 ** i, 3600) for i in range(settings.webhook_max_attempts - 1)]
    # a later event is not held back by a dead letter
    merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15"))
    receiver.answer = lambda event: 500 if event["state"]["label"] == "马小红" else 200
    jobs.deliver(sub["id"])
    assert receiver.received[-1].event["state"]["label"] == "王芳"
    url = f"{WEBHOOKS}/{sub['id']}"
    dead = client.get(f"{url}/deliveries", query_string={"status": "dead"}, headers=auth.headers("police")).get_json()
    [letter] = dead["items"]
    assert (letter["attempts"], letter["last_status"], letter["last_error"]) == (
        settings.webhook_max_attempts, 500, "HTTP 500")
    assert client.get(url, headers=auth.headers("police")).get_json()["counts"] == {
        "pending": 0, "delivered": 1, "dead": 1}
    # the receiver is fixed; the replay button sends the dead letter again (inline, after the request commits)
    receiver.answer = lambda _event: 200
    resp = client.post(f"{url}/deliveries/{letter['id']}/replay", headers=auth.headers("police"))
    assert resp.status_code == 200 and resp.get_json() == {"replayed": 1}
    assert receiver.received[-1].event["state"]["label"] == "马小红"
    assert client.get(url, headers=auth.headers("police")).get_json()["counts"] == {
        "pending": 0, "delivered": 2, "dead": 0}
    again = client.post(f"{url}/deliveries/{letter['id']}/replay", headers=auth.headers("police"))
    assert (again.status_code, again.get_json()["error"]) == (404, "webhook.delivery_not_found")


def test_replay_all_and_a_stopped_subscription(settings, client, auth, merge, receiver, hooks):
    clock, waits = hooks
    sub = subscribe(client, auth, "police", receiver.url)
    merge(REGISTRATION, registration())
    _fail_every_attempt(settings, sub["id"], receiver, clock, waits)
    receiver.answer = lambda _event: 200
    url = f"{WEBHOOKS}/{sub['id']}"
    assert client.post(f"{url}/replay", headers=auth.headers("admin")).get_json() == {"replayed": 1}
    assert receiver.received[-1].headers.get("Gridreg-Signature", "").startswith("t=")
    assert client.get(url, headers=auth.headers("police")).get_json()["counts"]["delivered"] == 1
    assert client.delete(url, headers=auth.headers("police")).status_code == 204
    merge(REGISTRATION, registration("王芳", "62292119920815026X", birth="1992-08-15"))
    sent = len(receiver.received)
    jobs.deliver(sub["id"])
    assert len(receiver.received) == sent  # stopped: nothing more is pushed
    resp = client.post(f"{url}/replay", headers=auth.headers("police"))
    assert (resp.status_code, resp.get_json()["error"]) == (409, "webhook.stopped")


def test_one_sender_at_a_time_and_a_ring_during_its_run_is_not_lost(client, auth, db, merge, receiver, hooks):
    from datetime import timedelta

    from server.webhooks.models import WebhookSubscription

    clock, _ = hooks
    sub = subscribe(client, auth, "police", receiver.url)
    merge(REGISTRATION, registration())
    row = db.get(WebhookSubscription, sub["id"])
    row.lease_until = clock() + timedelta(seconds=60)  # another sender is at work
    db.flush()
    jobs.deliver(sub["id"])
    assert receiver.received == []  # it does not send beside the other one
    row.lease_until = None
    db.flush()
    rung: list[int] = []
    real_send = jobs.send

    def send_and_ring(*args):  # a registry change commits while this sender holds the lease
        if not rung:
            jobs.pump()
            rung.append(1)
        return real_send(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jobs, "send", send_and_ring)
        calls: list[tuple] = []
        mp.setattr(jobs, "enqueue_now", lambda *a, **k: calls.append(a))
        jobs.deliver(sub["id"])
    assert len(receiver.received) == 1
    # the pump rang once; the sender, releasing its lease, saw that ring's mark and rang once more itself
    assert calls == [calls[0], calls[0]] and calls[0][-1] == sub["id"]
