"""The batch loop of `gridreg worker`: PostgreSQL is the queue of the submission's way.

A submission's status is its place in the pipeline (received → validated →
merged), so the table itself is the queue: each stage claims a batch of rows
in its state (``FOR UPDATE SKIP LOCKED``, so workers share a backlog without
waiting on each other), does its work and writes their new states in one
transaction. No job is queued per submission.

Redis carries only a wake-up: committing a submission pushes one token to a
list of length one (``queue.wake``), and an idle worker blocks on it
(``queue.wait_for_wake``). The wake-up is a hint, never the truth: a worker
also looks at the table every ``POLL_SECONDS``, so a token lost with Redis, or
a web process killed between its commit and its ring, costs at most one poll.
A worker killed mid-batch loses its connection, PostgreSQL rolls its
transaction back and drops its row locks, and the next claim by any worker
takes those rows again. A worker whose batch came back full rings the wake-up
once more, so that an idle peer joins in on a backlog.

An unexpected failure of one submission (a bug, not a refusal: refusals are
states, ``invalid`` or ``rejected``) is kept on its row as ``attempts`` and
``retry_at`` (``submissions.jobs.note_failure``): the claims pass it by until then, and a
backoff spaces the tries. Row state rather than RQ's retry registry, because
it lives in the same transaction as the work, survives a Redis restart, needs
no scheduler lock (a killed worker's lock held RQ's retries for ten minutes),
and one SQL query lists what keeps failing (`gridreg jobs failed`). A failure
of the database itself ends the batch (rolled back as a whole); the loop
waits a moment and claims again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from server import queue
from server.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
BATCH_SIZE = 100
# Seconds before the n-th retry of a submission that failed unexpectedly (the last one repeats).
RETRY_BACKOFF = (5, 30, 120, 600, 3600)
# Seconds to wait before claiming again after the database failed under a batch.
OUTAGE_PAUSE = 1.0


@dataclass(frozen=True)
class Stage:
    """One step of the way: a function that claims and handles up to ``limit`` rows and says how many."""

    name: str
    run: Callable[[int], int]


def retry_at(attempts: int, now: datetime) -> datetime:
    """When a submission that has failed ``attempts`` times may be claimed again."""
    return now + timedelta(seconds=RETRY_BACKOFF[min(max(attempts, 1), len(RETRY_BACKOFF)) - 1])


def drain(settings: Settings, stages: Sequence[Stage], limit: int = BATCH_SIZE) -> int:
    """Run every stage in turn until none finds work; how many rows were handled."""
    handled = 0
    while True:
        round_handled = 0
        for stage in stages:
            done = stage.run(limit)
            if done >= limit and settings.redis_url:
                queue.wake(settings)  # more than one batch waiting: an idle peer may take the next one
            round_handled += done
        handled += round_handled
        if not round_handled:
            return handled


def run(settings: Settings, stages: Sequence[Stage], stop: threading.Event, *, burst: bool = False,
        poll: float = POLL_SECONDS, limit: int = BATCH_SIZE) -> None:
    """Drain, then wait for a wake-up or the poll timeout; until ``stop`` is set (or once drained, ``burst``)."""
    while not stop.is_set():
        try:
            drain(settings, stages, limit)
        except Exception:  # noqa: BLE001 - the loop's edge: the batch rolled back, its rows wait for the next claim
            log.exception("batch failed; claiming again shortly")
            stop.wait(OUTAGE_PAUSE)
            continue
        if burst:
            return
        _idle(settings, stop, poll)


def _idle(settings: Settings, stop: threading.Event, poll: float) -> None:
    """Block until a wake-up or ``poll`` seconds; without Redis (or while it is down), just sleep."""
    if not settings.redis_url:
        stop.wait(poll)
        return
    started = time.monotonic()
    try:
        queue.wait_for_wake(settings, poll)
    except RedisError:
        log.warning("no wake-up from Redis; polling the database", exc_info=True)
        stop.wait(max(0.0, poll - (time.monotonic() - started)))
