"""Validation jobs: inline, in batches claimed from the table, with a Redis wake-up, in `gridreg worker --burst`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from server import batch_worker, migrate, pipeline, queue
from server.app import create_app
from server.db import discard_after_commit, make_engine, run_after_commit, session_factory
from server.demo import load_demo
from server.registry.jobs import merge_submission
from server.settings import Settings
from server.submissions import jobs
from server.submissions.models import Submission
from tests.conftest import (
    REDIS_URL,
    burst,
    drop_pg_database,
    fresh_pg_database,
    make_settings,
    own_queue,
    redis_app,
)
from tests.submissions.support import (
    FORM_ID,
    jpeg,
    multipart,
    new_id,
    publish_registration,
    registration_data,
    submission_part,
    submit_as_worker,
)

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")


def _submit(db, settings, version, *, data=None, files=None, commit=True):
    data = registration_data() if data is None else data
    files = {"photo.jpg": jpeg()} if files is None else files
    submission = submit_as_worker(db, settings, version, data, files)
    if commit:
        db.commit()
        discard_after_commit(db)  # the bells stay silent: the jobs are run by hand below
    return submission


def test_validation_moves_received_to_validated_once(db, settings, registration):
    sub = _submit(db, settings, registration)
    assert jobs.validate_submission(sub.id) == "validated"
    db.refresh(sub)
    assert sub.status == "validated" and sub.validated_at is not None and sub.errors == []
    assert jobs.validate_submission(sub.id) == "skipped"  # a second run changes nothing
    assert jobs.validate_submission(10**9) == "skipped"


def test_invalid_submission_keeps_its_issues(db, settings, registration):
    data = registration_data()
    data["identity"]["phone"] = "123"
    sub = _submit(db, settings, registration, data=data)
    assert jobs.validate_submission(sub.id) == "invalid"
    db.refresh(sub)
    assert [(e["path"], e["code"]) for e in sub.errors] == [("/data/identity/phone", "value.constraint")]
    assert sub.errors[0]["message"]


def test_waits_for_missing_attachments_then_gives_up_after_grace(db, settings, registration, monkeypatch):
    sub = _submit(db, settings, registration, files={})
    assert jobs.validate_submission(sub.id) == "waiting"
    monkeypatch.setattr(jobs, "ATTACHMENT_GRACE_SECONDS", 0)
    assert jobs.validate_submission(sub.id) == "invalid"
    db.refresh(sub)
    assert [e["code"] for e in sub.errors] == ["value.attachment_missing"]


def test_follow_up_jobs_are_enqueued_after_validation(db, settings, registration, monkeypatch):
    rung = []
    monkeypatch.setattr(queue, "enqueue_now", lambda s, q, path, *args: rung.append((q, path, args)))
    monkeypatch.setitem(pipeline.FOLLOWS, jobs.validate_submission, (pipeline.Next("merge", merge_submission),))
    sub = _submit(db, settings, registration)
    jobs.validate_submission(sub.id)
    assert rung == [("merge", "server.registry.jobs.merge_submission", (sub.id,))]
    bad = registration_data()
    bad["identity"]["phone"] = "1"
    rung.clear()
    jobs.validate_submission(_submit(db, settings, registration, data=bad).id)
    assert rung == []  # invalid ones stop here


def test_find_stuck_rings_again_for_old_received_rows(db, settings, registration):
    sub = _submit(db, settings, registration)
    assert pipeline.requeue_stuck(db, settings, 3600)["server.submissions.jobs.find_stuck"] == 0  # not old yet
    counts = pipeline.requeue_stuck(db, settings, -60)  # a cutoff in the future: every received row is overdue
    assert counts["server.submissions.jobs.find_stuck"] == 2  # the validation and the photo's derivatives
    db.commit()
    run_after_commit(db)  # inline mode: the bells ring now
    db.refresh(sub)
    db.refresh(sub.attachments[0])
    assert sub.status == "validated" and sub.attachments[0].derivatives == "ready"
    assert jobs.find_stuck(db, settings, -60) == 0


# --------------------------------------------------------------------------- with a real Redis


@pytest.fixture
def rq_app(settings, engine, maker, redis_conn, db, monkeypatch):
    """The app with Redis configured; jobs run in-process (batches, SimpleWorker) on the test's sessions."""
    monkeypatch.setitem(pipeline.FOLLOWS, jobs.validate_submission, ())
    with redis_app(settings, engine, maker, monkeypatch) as application:
        publish_registration(db, monkeypatch)
        yield application


def _token(client, username="worker"):
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": "gridreg-demo"})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _submit_with_photo(client):
    """POST a registration with its photo as the worker (201 asserted): its instance id and the response."""
    iid = new_id()
    resp = client.post(f"/api/v1/forms/{FORM_ID}/submissions", headers=_token(client),
                       data=multipart(submission_part(iid, registration_data()), {"photo.jpg": jpeg()}),
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    return iid, resp


def test_with_redis_a_submission_rings_one_wake_up_and_a_batch_validates_it(rq_app, redis_conn, db, settings):
    client = rq_app.test_client()
    iids = []
    for _ in range(2):
        iid, resp = _submit_with_photo(client)
        assert resp.get_json()["status"] == "received"
        iids.append(iid)
    subs = list(db.scalars(select(Submission).where(Submission.instance_id.in_([f"uuid:{i}" for i in iids]))))
    validation, media = (Queue(own_queue(n), connection=redis_conn) for n in ("validation", "media"))
    assert validation.job_ids == []  # no job per submission for the way ...
    assert redis_conn.lrange(queue.WAKE_KEY, 0, -1) == [b"1"]  # ... one collapsed wake-up for both
    assert sorted(media.job_ids) == sorted(f"make_derivatives-{s.attachments[0].id}" for s in subs)
    redis_settings = settings.with_(redis_url=REDIS_URL)
    assert queue.wait_for_wake(redis_settings, 1) is True
    assert queue.wait_for_wake(redis_settings, 0.1) is False  # taken: the next wait blocks until the poll timeout
    validation_stage = [s for s in pipeline.BATCHES if s.name == "validation"]
    assert batch_worker.drain(redis_settings, validation_stage) == 2
    burst(redis_conn, "media")
    for sub in subs:
        db.refresh(sub)
        db.refresh(sub.attachments[0])
        assert sub.status == "validated" and sub.attempts == 0 and sub.retry_at is None
        assert sub.attachments[0].derivatives == "ready"
    assert batch_worker.drain(redis_settings, validation_stage) == 0  # validated rows are not claimed again


def test_a_batch_keeps_an_unexpected_failure_on_its_row_and_retries_it_with_backoff(db, settings, registration,
                                                                                     monkeypatch):
    broken_sub, good_sub = _submit(db, settings, registration), _submit(db, settings, registration)
    check = jobs.validator.check_submission
    order: list[int] = []

    def check_in_order(definition, data, **kwargs):
        order.append(len(order))
        if len(order) == 1:  # the first of each batch (the oldest: broken_sub)
            raise RuntimeError("validator exploded")
        return check(definition, data, **kwargs)

    monkeypatch.setattr(jobs.validator, "check_submission", check_in_order)
    now = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert jobs.validate_received(100, now=now) == 2
    db.refresh(broken_sub)
    db.refresh(good_sub)
    assert good_sub.status == "validated"  # the other submission of the batch went on
    assert (broken_sub.status, broken_sub.attempts) == ("received", 1)
    assert broken_sub.retry_at == now + timedelta(seconds=batch_worker.RETRY_BACKOFF[0])
    assert jobs.validate_received(100, now=now + timedelta(seconds=1)) == 0  # held back until retry_at
    order.clear()
    assert jobs.validate_received(100, now=broken_sub.retry_at) == 1
    db.refresh(broken_sub)
    assert (broken_sub.status, broken_sub.attempts) == ("received", 2)  # failed again: a longer wait
    backoff = batch_worker.RETRY_BACKOFF
    assert broken_sub.retry_at == now + timedelta(seconds=backoff[0] + backoff[1])
    monkeypatch.setattr(jobs.validator, "check_submission", check)
    assert jobs.validate_received(100, now=broken_sub.retry_at) == 1
    db.refresh(broken_sub)
    assert broken_sub.status == "validated" and broken_sub.retry_at is None


def test_a_batch_looks_again_at_a_submission_waiting_for_its_attachments(db, settings, registration):
    sub = _submit(db, settings, registration, files={})
    now = datetime.now(UTC)
    assert jobs.validate_received(100, now=now) == 1
    db.refresh(sub)
    assert sub.status == "received" and sub.attempts == 0
    assert sub.retry_at == now + timedelta(seconds=jobs.WAITING_RECHECK_SECONDS)
    assert jobs.validate_received(100, now=now + timedelta(seconds=1)) == 0
    late = sub.received_at + timedelta(seconds=jobs.ATTACHMENT_GRACE_SECONDS + 1)
    assert jobs.validate_received(100, now=late) == 1  # the grace is over: judged without the photo
    db.refresh(sub)
    assert sub.status == "invalid" and [e["code"] for e in sub.errors] == ["value.attachment_missing"]


def _version(db):
    from server.forms.models import FormVersion

    return db.scalar(select(FormVersion).order_by(FormVersion.id.desc()))


# --------------------------------------------------------------------------- a forked worker process


@pytest.fixture
def committed_settings(backend, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a separate, really committed database of the backend under test (not the rollback one)."""
    name = f"gridreg_worker_{os.getpid()}"
    url = f"sqlite:///{tmp_path / 'worker.sqlite'}" if backend == "sqlite" else fresh_pg_database(name)
    yield make_settings(url, tmp_path / "media", redis_url=REDIS_URL)
    if backend == "postgresql":
        drop_pg_database(name)


@pytest.mark.slow
def test_gridreg_worker_burst_subprocess(committed_settings, redis_conn, monkeypatch):
    """A committed database, a real submission, then `gridreg worker --burst` validates, merges and shrinks it."""
    settings = committed_settings
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        with session_factory(engine)() as session:
            load_demo(session, settings)
            session.commit()
            publish_registration(session, monkeypatch)
        application = create_app(settings, engine=engine)
        monkeypatch.setitem(pipeline.FOLLOWS, jobs.validate_submission, ())
        client = application.test_client()
        iid, _ = _submit_with_photo(client)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDREG_")}
        env.update(GRIDREG_DATABASE_URL=settings.database_url, GRIDREG_MEDIA_ROOT=str(settings.media_root),
                   GRIDREG_REDIS_URL=REDIS_URL, GRIDREG_DEMO="1", GRIDREG_LOG_FORMAT="text",
                   GRIDREG_ENCRYPTION_KEY=settings.encryption_key)
        gridreg = Path(sys.executable).with_name("gridreg")
        done = subprocess.run([str(gridreg), "worker", "--burst", "--queues", "validation,merge,media"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        with session_factory(engine)() as session:
            sub = session.scalar(select(Submission).where(Submission.instance_id == f"uuid:{iid}"))
            # validated and merged by the batch stages (the worker process's own job map, not this test's)
            assert sub is not None and sub.status == "merged", (sub and sub.errors, done.stderr[-3000:])
            assert sub.attachments[0].derivatives == "ready"
            assert sub.attachments[0].thumb_sha256 is not None
        assert not Job.exists(f"merge_submission-{sub.id}", connection=redis_conn)  # no job per submission
    finally:
        engine.dispose()
