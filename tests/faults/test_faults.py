"""Intake survives a killed worker, a Redis outage and a PostgreSQL restart, against real processes.

Each test ends the same way: ``gridreg jobs requeue-stuck --older-than 0`` rings
the bell for whatever the fault left behind, and then every submission the
server acknowledged (201, or 200 for a replay) exists exactly once and reached
a final status. Clients retry connection errors and 5xx with the same
instance id, as the mobile outbox and ODK Collect do.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

import pytest

from tests.support.stack import Stack, stop_process

from .conftest import FINAL, Clients, children_of, dump, rows_by_instance, wait_all_final

pytestmark = pytest.mark.slow

JOB_WORKERS = 3
SETTLE_TIMEOUT = 90


def _start_workers(st: Stack, count: int = JOB_WORKERS) -> None:
    for _ in range(count):
        st.start_worker("validation,merge,media")


def _requeue_and_check(st: Stack, clients: Clients) -> dict[str, tuple[int, str]]:
    """Requeue what is stuck, wait, and check every acknowledged submission: once, final."""
    for proc in list(st.workers):  # a worker that gave up during the fault is replaced
        if proc.poll() is not None:
            st.workers.remove(proc)
    _start_workers(st, JOB_WORKERS - len(st.workers))
    done = st.gridreg("jobs", "requeue-stuck", "--older-than", "0")
    assert done.returncode == 0, done.stderr
    acked = [o.instance_id for o in clients.acknowledged()]
    assert acked, "no submission was acknowledged at all"
    found = wait_all_final(st, acked, SETTLE_TIMEOUT)
    missing = [i for i in acked if i not in found]
    duplicated = {i: n for i, (n, _) in found.items() if n != 1}
    not_final = {i: s for i, (_, s) in found.items() if s not in FINAL}
    assert not missing, f"acknowledged but not stored: {missing}\n{st.tail_logs()}"
    assert not duplicated, f"stored more than once: {duplicated}"
    assert not not_final, f"not final after requeue-stuck: {dump(not_final)}\n{st.tail_logs()}"
    statuses: dict[str, int] = {}
    for _, status in found.values():
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{clients.summary()}; requeue-stuck: {done.stdout.strip()}; final statuses {statuses}")
    return found


def test_worker_killed_mid_job(live: Stack) -> None:
    """kill -9 the worker and its work horse mid-burst; a new worker plus requeue-stuck finishes every row."""
    clients = Clients(live)
    clients.burst(40)  # no worker yet: 40 validation jobs wait in Redis
    ids = [o.instance_id for o in clients.acknowledged()]
    assert len(ids) == 40, dump([o.attempts for o in clients.outcomes])
    try:
        worker = live.start_worker("validation,merge,media")
        deadline = time.monotonic() + 60
        horse: list[int] = []
        while time.monotonic() < deadline:
            finals = sum(1 for _, s in rows_by_instance(live, ids).values() if s in FINAL)
            horse = children_of(worker.pid)
            if finals >= 2 and horse:
                break
            time.sleep(0.05)
        assert horse, f"the worker never started a job\n{live.tail_logs()}"
        for pid in horse:  # the horse runs in its own process group
            os.kill(pid, signal.SIGKILL)
        stop_process(worker, signal.SIGKILL)
        live.workers.remove(worker)
        left = [i for i, (_, s) in rows_by_instance(live, ids).items() if s not in FINAL]
        assert left, "the burst finished before the kill: nothing was interrupted"
        _requeue_and_check(live, clients)
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
    """Redis stops and comes back empty while clients submit: nothing acknowledged is lost; no 5xx for a commit."""
    assert live.redis is not None
    clients = Clients(live)
    _start_workers(live)
    redis = live.redis

    def outage() -> None:
        redis.stop()
        time.sleep(3)
        redis.start()  # same port, no persistence: every queued job is gone
        time.sleep(2)

    _submit_during(clients, outage)
    try:
        unacked = [o.attempts for o in clients.outcomes if not o.acknowledged]
        assert not unacked, f"clients gave up: {dump(unacked)}"
        _requeue_and_check(live, clients)
        committed_5xx = [o.attempts for o in clients.outcomes if o.committed_but_5xx]
        assert not committed_5xx, (
            f"{len(committed_5xx)} submissions were committed but answered 5xx while Redis was down "
            f"(a failed enqueue after commit must not fail the request): {dump(committed_5xx[:5])}")
    finally:
        live.stop_workers()


def test_postgres_restart_while_submitting(live: Stack) -> None:
    """PostgreSQL crashes and restarts while clients submit with retries: every submission lands exactly once."""
    assert live.pg is not None
    clients = Clients(live)
    _start_workers(live)
    pg = live.pg

    def outage() -> None:
        pg.stop("immediate")  # like a crash: no checkpoint, recovery on start
        time.sleep(1)
        pg.start()
        time.sleep(3)

    _submit_during(clients, outage)
    try:
        unacked = [o.attempts for o in clients.outcomes if not o.acknowledged]
        assert not unacked, f"clients gave up after the restart: {dump(unacked)}"
        retried = [o for o in clients.outcomes if len(o.attempts) > 1]
        assert retried, "no client saw the restart: the fault did not happen during the load"
        _requeue_and_check(live, clients)
    finally:
        live.stop_workers()
