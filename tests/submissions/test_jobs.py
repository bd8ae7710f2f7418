"""Validation jobs: inline, on a real RQ queue in-process, and in a forked `gridreg worker --burst`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from server import migrate, pipeline, queue
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


# --------------------------------------------------------------------------- RQ against a real Redis




@pytest.fixture
def rq_app(settings, engine, maker, redis_conn, db, monkeypatch):
    """The app with Redis configured; jobs run in-process by SimpleWorker on the test's sessions."""
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


def test_real_rq_queue_runs_validation_and_media(rq_app, redis_conn, db):
    client = rq_app.test_client()
    iid, resp = _submit_with_photo(client)
    assert resp.get_json()["status"] == "received"
    sub = db.scalar(select(Submission).where(Submission.instance_id == f"uuid:{iid}"))
    validation, media = (Queue(own_queue(n), connection=redis_conn) for n in ("validation", "media"))
    assert f"validate_submission-{sub.id}" in validation.job_ids  # rung after commit, by id
    assert f"make_derivatives-{sub.attachments[0].id}" in media.job_ids
    burst(redis_conn, "validation", "media")
    db.refresh(sub)
    assert sub.status == "validated"
    db.refresh(sub.attachments[0])
    assert sub.attachments[0].derivatives == "ready"
    job = Job.fetch(f"validate_submission-{sub.id}", connection=redis_conn)
    assert job.return_value() == "validated"


def test_failing_job_retries_then_lands_in_the_failed_registry(rq_app, redis_conn, db, settings, monkeypatch):
    sub = _submit(db, settings, _version(db))

    def broken(*_args, **_kwargs):
        raise RuntimeError("validator exploded")

    monkeypatch.setattr("server.forms.validator.check_submission", broken)
    validation = queue.job_path(jobs.validate_submission)
    queue.enqueue_now(settings.with_(redis_url=REDIS_URL), "validation", validation, sub.id)
    q = Queue(own_queue("validation"), connection=redis_conn)
    job_id = f"validate_submission-{sub.id}"
    for _ in range(len(queue.DEFAULT_RETRY_INTERVALS)):
        burst(redis_conn, "validation")
        assert job_id in ScheduledJobRegistry(queue=q).get_job_ids()  # waiting for its retry, with backoff
        job = Job.fetch(job_id, connection=redis_conn)
        ScheduledJobRegistry(queue=q).remove(job)
        q.enqueue_job(job)  # what the scheduler does once the interval has passed
    burst(redis_conn, "validation")
    assert job_id in FailedJobRegistry(queue=q).get_job_ids()
    assert "validator exploded" in Job.fetch(job_id, connection=redis_conn).latest_result().exc_string
    db.refresh(sub)
    assert sub.status == "received"  # the row is untouched; `gridreg jobs retry` or requeue-stuck can redo it


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
    """A committed database, a real submission, then `gridreg worker --burst` forks and runs the jobs."""
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
        done = subprocess.run([str(gridreg), "worker", "--burst", "--queues", "validation,media"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        with session_factory(engine)() as session:
            sub = session.scalar(select(Submission).where(Submission.instance_id == f"uuid:{iid}"))
            assert sub is not None and sub.status == "validated", done.stderr[-3000:]
            assert sub.attachments[0].derivatives == "ready"
            assert sub.attachments[0].thumb_sha256 is not None
        # the forked worker chained the follow-up job (it imports only job modules, so the hook must be static)
        assert Job.exists(f"merge_submission-{sub.id}", connection=redis_conn)
    finally:
        engine.dispose()
