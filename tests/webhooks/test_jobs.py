"""Delivery on a real RQ worker: registering and committed registry changes ring the webhooks queue; a retry waits
in RQ's scheduled registry for its backoff."""

from __future__ import annotations

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from server import queue, worker
from server.app import create_app
from server.registry.merge import SubmissionEssentials, merge_submission_data
from server.webhooks import jobs, signing
from tests.conftest import REDIS_URL, Auth, own_queue
from tests.registry.conftest import REGISTRATION, registration
from tests.webhooks.conftest import Clock, subscribe


@pytest.fixture
def rq_client(settings, engine, maker, redis_conn, monkeypatch):
    """A client whose app rings a real Redis (loopback URLs allowed); jobs run only when a worker takes them."""
    monkeypatch.setattr(queue, "get_queue", lambda s, name: Queue(
        own_queue(name), connection=queue.redis_connection(s), default_timeout=queue.JOB_TIMEOUT))
    rq_settings = settings.with_(redis_url=REDIS_URL, webhooks_allow_private=True)
    application = create_app(rq_settings, engine=engine)
    application.extensions["gridreg"].sessionmaker = maker
    application.config["TESTING"] = True
    before = worker._context
    worker.configure(rq_settings, engine, maker)
    yield application.test_client()
    worker._context = before


def _work(redis_conn) -> None:
    SimpleWorker([Queue(own_queue("webhooks"), connection=redis_conn)], connection=redis_conn).work(burst=True)


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
