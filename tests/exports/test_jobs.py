"""The export job on a real exports queue (RQ on Redis), its progress, and its failure and stuck handling."""

from __future__ import annotations

import pytest
from rq import Queue

from server import worker
from server.exports import jobs
from server.exports.models import Export
from tests.conftest import burst, own_queue, redis_app
from tests.registry.conftest import ID_B, REGISTRATION, registration


@pytest.fixture
def rq_client(settings, engine, maker, redis_conn, monkeypatch):
    """A client whose app rings a real Redis; jobs run only when a worker takes them."""
    with redis_app(settings, engine, maker, monkeypatch) as application:
        yield application.test_client()


def test_an_export_waits_queued_then_a_real_worker_runs_it_with_progress(rq_client, redis_conn, db, merge,
                                                                         monkeypatch):
    from tests.conftest import Auth

    merge(REGISTRATION, registration())
    merge(REGISTRATION, registration("王芳", ID_B, birth="1992-08-15"))
    auth = Auth(rq_client)
    headers = auth.headers("supervisor")
    resp = rq_client.post("/api/v1/exports", json={"source": "dataset", "name": "persons", "format": "xlsx"},
                          headers=headers)
    assert resp.status_code == 202 and resp.get_json()["status"] == "queued"
    export_id = resp.get_json()["id"]
    state = rq_client.get(f"/api/v1/exports/{export_id}", headers=headers).get_json()
    assert (state["status"], state["done"], state["download_url"]) == ("queued", 0, None)
    assert Queue(own_queue("exports"), connection=redis_conn).count == 1
    seen: list[tuple[int, int]] = []
    monkeypatch.setattr(jobs, "PAGE", 1)  # a page per row, so progress moves visibly
    real = jobs.run_export
    monkeypatch.setattr(jobs, "run_export", lambda eid: real(eid, lambda d, t: seen.append((d, t))))
    burst(redis_conn, "exports")
    assert seen[:2] == [(1, 2), (2, 2)]
    state = rq_client.get(f"/api/v1/exports/{export_id}", headers=headers).get_json()
    assert (state["status"], state["done"], state["total"]) == ("done", 2, 2)
    got = rq_client.get(state["download_url"], headers=headers)
    assert got.status_code == 200 and got.data[:2] == b"PK"  # a zip container: the workbook
    got.close()


def test_a_failing_export_is_marked_failed_with_its_reason(app, settings, engine, maker, auth, client, db, merge,
                                                           monkeypatch):
    from server.exports import datasets

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(datasets.DatasetExport, "page", explode)
    before = worker._context
    worker.configure(settings, engine, maker)
    try:
        resp = client.post("/api/v1/exports", json={"source": "dataset", "name": "persons", "format": "csv"},
                           headers=auth.headers("admin"))
        state = client.get(f"/api/v1/exports/{resp.get_json()['id']}", headers=auth.headers("admin")).get_json()
    finally:
        worker._context = before
    assert state["status"] == "failed" and "disk full" in state["error"] and state["download_url"] is None
    row = db.get(Export, state["id"])
    assert not any(settings.export_root.glob(f"{row.id}*"))


def test_find_stuck_rings_again_for_old_queued_exports(db, settings, user_named, monkeypatch):
    from datetime import UTC, datetime

    from server.exports.models import ExportStatus

    row = Export(id="00000000-0000-0000-0000-000000000001", user_id=user_named("admin").id, source="dataset",
                 name="persons", format="csv", options={}, status=ExportStatus.QUEUED.value, done=0,
                 created_at=datetime(2001, 1, 1, tzinfo=UTC))
    db.add(row)
    db.flush()
    rung: list[str] = []
    monkeypatch.setattr(jobs, "enqueue_now", lambda s, q, path, eid: rung.append(eid))
    assert jobs.find_stuck(db, settings, 60) == 1
    assert rung == [row.id]
