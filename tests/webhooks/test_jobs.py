"""Delivery on a real RQ worker: registering and committed registry changes ring the webhooks queue; a retry waits
in RQ's scheduled registry for its backoff."""

from __future__ import annotations

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from server import worker
from server.registry.merge import SubmissionEssentials, merge_submission_data
from server.webhooks import jobs, signing
from tests.conftest import Auth, burst, own_queue, redis_app
from tests.registry.conftest import REGISTRATION, registration
from tests.webhooks.conftest import Clock, subscribe


@pytest.fixture
def rq_client(settings, engine, maker, redis_conn, monkeypatch):
    """A client whose app rings a real Redis (loopback URLs allowed); jobs run only when a worker takes them."""
    with redis_app(settings, engine, maker, monkeypatch, webhooks_allow_private=True) as application:
        yield application.test_client()


def _work(redis_conn) -> None:
    burst(redis_conn, "webhooks")


def test_delivery_runs_on_the_webhooks_queue_and_a_retry_waits_its_backoff(rq_client, redis_conn, receiver,
                                                                           sealer, user_named, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(jobs, "clock", clock)
    webhooks = Queue(own_queue("webhooks"), connection=redis_conn)
    sub = subscribe(rq_client, Auth(rq_client), "police", receiver.url)
    assert webhooks.count == 1 and receiver.received == []  # rung, not yet run
    _work(redis_conn)
    assert receiver.received == []  # nothing in the feed yet
    data = registration()
    with worker.job_session() as session:  # a merge job's transaction
        merge_submission_data(session, SubmissionEssentials(
            instance_id=data["meta"]["instanceID"], entities=REGISTRATION, data=data,
            submitter_id=user_named("worker").id, received_at=clock(), point=None, base_version=None), sealer)
    assert webhooks.count == 1  # the committed change rang the pump
    receiver.answer = lambda _event: 502
    _work(redis_conn)
    assert [r.event["kind"] for r in receiver.received] == ["created"]
    scheduled = ScheduledJobRegistry(queue=webhooks)
    [job_id] = scheduled.get_job_ids()
    # the scheduler moves it onto the queue once its time has come; the receiver works again by then
    receiver.answer = lambda _event: 200
    clock.advance(10)
    webhooks.enqueue_job(Job.fetch(job_id, connection=redis_conn))
    scheduled.remove(job_id)
    _work(redis_conn)
    assert len(receiver.received) == 2 and receiver.received[0].body == receiver.received[1].body
    got = receiver.received[1]
    assert signing.verify(sub["secret"], got.headers[signing.HEADER], got.body, int(clock().timestamp()))
    counts = rq_client.get(f"/api/v1/webhooks/{sub['id']}", headers=Auth(rq_client).headers("police")).get_json()
    assert counts["counts"] == {"pending": 0, "delivered": 1, "dead": 0}
