"""The batch loop: drain every stage until none finds work, wake a peer on a full batch, survive a failed batch."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from server import batch_worker, queue
from server.batch_worker import Stage
from tests.conftest import REDIS_URL, own_queue

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def test_retries_back_off_and_then_repeat_the_longest_wait():
    waits = [batch_worker.retry_at(n, NOW) - NOW for n in range(1, 8)]
    assert waits == [timedelta(seconds=s) for s in (5, 30, 120, 600, 3600, 3600, 3600)]


def _stage(name: str, counts: list[int], seen: list[str]) -> Stage:
    """A stage that handles ``counts`` rows on its successive calls, then none."""
    left = iter(counts)

    def run(limit: int) -> int:
        seen.append(name)
        return min(next(left, 0), limit)

    return Stage(name, run)


def test_drain_runs_every_stage_until_none_finds_work(settings):
    seen: list[str] = []
    stages = [_stage("validation", [3, 1], seen), _stage("merge", [0, 4], seen)]
    assert batch_worker.drain(settings, stages, limit=10) == 8
    assert seen == ["validation", "merge", "validation", "merge", "validation", "merge"]


@pytest.fixture
def wake_key(monkeypatch, redis_conn):
    monkeypatch.setattr(queue, "WAKE_KEY", own_queue("wake"))
    return queue.WAKE_KEY


def test_a_full_batch_wakes_a_peer_once_however_often_it_rings(settings, redis_conn, wake_key):
    redis_settings = settings.with_(redis_url=REDIS_URL)
    seen: list[str] = []
    assert batch_worker.drain(redis_settings, [_stage("validation", [10, 10, 3], seen)], limit=10) == 23
    assert redis_conn.lrange(wake_key, 0, -1) == [b"1"]  # two full batches rang, one token waits


def test_a_failed_batch_is_logged_and_the_loop_claims_again(settings, monkeypatch):
    monkeypatch.setattr(batch_worker, "OUTAGE_PAUSE", 0.01)
    stop = threading.Event()
    calls: list[int] = []

    def flaky(limit: int) -> int:
        calls.append(limit)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        if len(calls) >= 3:
            stop.set()
        return 0

    batch_worker.run(settings, [Stage("validation", flaky)], stop, poll=0.01, limit=7)
    assert calls == [7, 7, 7]  # failed, claimed again after the pause, then polled once more


def test_burst_drains_once_and_returns(settings):
    seen: list[str] = []
    batch_worker.run(settings, [_stage("merge", [2], seen)], threading.Event(), burst=True)
    assert seen == ["merge", "merge"]
