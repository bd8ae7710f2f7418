"""Intake survives killed processes, a Redis outage and a PostgreSQL restart, against real processes.

No sweeper runs (`gridreg jobs requeue-stuck` is never called): the job
processes claim submissions from the table by status, so whatever a fault
interrupted is claimed again by the next batch, and each test checks that
every submission the server acknowledged (201, or 200 for a replay) exists
exactly once and was validated and merged (or refused: invalid, rejected)
within ``SETTLE_SECONDS`` of the service being back. Clients retry connection
errors and 5xx with the same instance id, as the mobile outbox and ODK Collect
do; an outage answers 503 with Retry-After and a stable code, never 500.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from tests.submissions.support import submission_part
from tests.support.stack import Stack, multipart_body, stop_process

from .conftest import BOUNDARY, FORM_PATH, MERGED, Clients, children_of, dump, rows_by_instance, wait_all_final

pytestmark = pytest.mark.slow

JOB_WORKERS = 3
SETTLE_SECONDS = 30


def _start_workers(st: Stack, count: int = JOB_WORKERS, *options: str) -> None:
    for _ in range(count):
        st.start_worker("validation,merge,media", *options)


def _settle_and_check(st: Stack, clients: Clients, back_at: float) -> dict[str, tuple[int, str]]:
    """With no sweeper: every acknowledged submission stored once and merged (or refused) within 30 s of ``back_at``."""
    dead = [proc for proc in st.workers if proc.poll() is not None]
    assert not dead, f"{len(dead)} job worker(s) died during the fault\n{st.tail_logs()}"
    acked = [o.instance_id for o in clients.acknowledged()]
    assert acked, "no submission was acknowledged at all"
    found = wait_all_final(st, acked, SETTLE_SECONDS - (time.monotonic() - back_at), final=MERGED)
    settled_after = time.monotonic() - back_at
    missing = [i for i in acked if i not in found]
    duplicated = {i: n for i, (n, _) in found.items() if n != 1}
    not_final = {i: s for i, (_, s) in found.items() if s not in MERGED}
    assert not missing, f"acknowledged but not stored: {missing}\n{st.tail_logs()}"
    assert not duplicated, f"stored more than once: {duplicated}"
    assert not not_final, (f"{len(not_final)} not merged {SETTLE_SECONDS} s after the service was back: "
                           f"{dump(not_final)}\n{st.tail_logs()}")
    statuses: dict[str, int] = {}
    for _, status in found.values():
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{clients.summary()}; all final {settled_after:.1f} s after the service was back; statuses {statuses}")
    return found


def _no_500(clients: Clients) -> None:
    """Outages answer 503 (with Retry-After, checked where the outage is made), never another 5xx."""
    other = [o.attempts for o in clients.outcomes if any(isinstance(a, int) and a >= 500 and a != 503
                                                         for a in o.attempts)]
    assert not other, f"{len(other)} submissions got a 5xx other than 503: {dump(other[:5])}"


def _post_now(st: Stack, clients: Clients) -> tuple[int, dict[str, str], dict[str, object]]:
    """One submission now: status, headers, JSON body."""
    iid = str(uuid.uuid4())
    body = multipart_body([("submission", "submission.json", "application/json",
                            submission_part(iid, clients.data, version=clients.version))], BOUNDARY)
    conn = http.client.HTTPConnection("127.0.0.1", st.web_port, timeout=30)
    try:
        conn.request("POST", FORM_PATH, body=body, headers={
            "Authorization": f"Bearer {clients.token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(raw or b"{}")
    finally:
        conn.close()


def test_worker_killed_mid_batch(live: Stack) -> None:
    """kill -9 a job worker holding a claimed batch; the rows go back to the table and settle within 30 s."""
    clients = Clients(live)
    clients.burst(120)  # no worker yet: 120 received rows wait in the table
    ids = [o.instance_id for o in clients.acknowledged()]
    assert len(ids) == 120, dump([o.attempts for o in clients.outcomes])
    try:
        worker = live.start_worker("validation,merge,media", "--batch-size", "10")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = sum(1 for _, s in rows_by_instance(live, ids).values() if s in MERGED)
            if done >= 10:
                break
            time.sleep(0.05)
        for pid in children_of(worker.pid):  # RQ's scheduler runs in a child process of its own
            os.kill(pid, signal.SIGKILL)
        stop_process(worker, signal.SIGKILL)
        live.workers.remove(worker)
        left = [i for i, (_, s) in rows_by_instance(live, ids).items() if s not in MERGED]
        assert left, "the backlog finished before the kill: nothing was interrupted"
        back_at = time.monotonic()
        _start_workers(live, 2)
        _settle_and_check(live, clients, back_at)
    finally:
        live.stop_workers()


def test_web_and_job_workers_killed_under_load(live: Stack) -> None:
    """kill -9 a gunicorn worker and a job worker, twice each, while clients submit: all settle, no sweeper."""
    assert live.web is not None
    clients = Clients(live)
    _start_workers(live)
    web = live.web

    def outage() -> None:
        for _ in range(2):
            victims = children_of(web.pid)
            assert victims, "gunicorn has no workers"
            os.kill(victims[0], signal.SIGKILL)  # the master starts a new one
            job_worker = live.workers[0]
            stop_process(job_worker, signal.SIGKILL)
            live.workers.remove(job_worker)
            time.sleep(1)
            _start_workers(live, 1)
            time.sleep(1.5)

    _submit_during(clients, outage)
    try:
        unacked = [o.attempts for o in clients.outcomes if not o.acknowledged]
        assert not unacked, f"clients gave up: {dump(unacked)}"
        _no_500(clients)
        _settle_and_check(live, clients, time.monotonic())
    finally:
        live.stop_workers()


def _submit_during(clients: Clients, outage: Callable[[], None]) -> None:
    """Four clients submit with retries from before until after ``outage`` runs."""
    stop = threading.Event()
    threads = clients.background(stop, threads=4, pause=0.1)
    try:
        time.sleep(2)
        outage()
    finally:
        stop.set()
        for t in threads:
            t.join(60)


def test_redis_down_while_submitting(live: Stack) -> None:
    """Redis stops and comes back empty while clients submit: 201s go on, and every one is merged, no sweeper."""
    assert live.redis is not None
    clients = Clients(live)
    _start_workers(live)
    redis = live.redis
    back: list[float] = []

    def outage() -> None:
        redis.stop()
        live.start_worker("validation,merge,media")  # a worker (re)started while Redis is down waits for it
        time.sleep(3)
        redis.start()  # same port, no persistence: every wake-up and queued job is gone
        back.append(time.monotonic())
        time.sleep(2)

    _submit_during(clients, outage)
    try:
        unacked = [o.attempts for o in clients.outcomes if not o.acknowledged]
        assert not unacked, f"clients gave up: {dump(unacked)}"
        _settle_and_check(live, clients, back[0])
        committed_5xx = [o.attempts for o in clients.outcomes if o.committed_but_5xx]
        assert not committed_5xx, (
            f"{len(committed_5xx)} submissions were committed but answered 5xx while Redis was down "
            f"(a failed wake-up after commit must not fail the request): {dump(committed_5xx[:5])}")
    finally:
        live.stop_workers()


def test_postgres_restart_while_submitting(live: Stack) -> None:
    """PostgreSQL crashes and restarts under load: 503 with Retry-After meanwhile, then every submission merged."""
    assert live.pg is not None
    clients = Clients(live)
    _start_workers(live)
    pg = live.pg
    back: list[float] = []
    during: list[tuple[int, dict[str, str], dict[str, object]]] = []

    def outage() -> None:
        pg.stop("immediate")  # like a crash: no checkpoint, recovery on start
        during.append(_post_now(live, clients))
        time.sleep(1)
        pg.start()
        back.append(time.monotonic())
        time.sleep(3)

    _submit_during(clients, outage)
    try:
        status, headers, body = during[0]
        assert status == 503 and body.get("error") == "service.database_unavailable", (status, body)
        assert int(headers["retry-after"]) > 0
        unacked = [o.attempts for o in clients.outcomes if not o.acknowledged]
        assert not unacked, f"clients gave up after the restart: {dump(unacked)}"
        retried = [o for o in clients.outcomes if len(o.attempts) > 1]
        assert retried, "no client saw the restart: the fault did not happen during the load"
        _no_500(clients)
        _settle_and_check(live, clients, back[0])
    finally:
        live.stop_workers()
