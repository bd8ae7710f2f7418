"""Background jobs: RQ queues when Redis is configured, inline after commit otherwise.

The database row is the truth and Redis only a doorbell. The submission's way
(validation, merge) is not queued per submission: job processes claim its rows
in batches (server/batch_worker.py) and Redis carries one collapsed wake-up for
them (``wake``, ``wait_for_wake``). The other work is RQ jobs. Jobs are importable
functions, named by their import path (``job_path``), that take ids; they are enqueued only after the
transaction that made the work has committed (``enqueue_after_commit``), and
they re-check the row's state so that running twice changes nothing. Separate
queues per workload keep one backlog from starving another. Which job follows
which is wired in one place, server/pipeline.py.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy.orm import Session

from server.db import after_commit
from server.settings import Settings

log = logging.getLogger(__name__)

QUEUES = ("media", "imports", "exports", "reports", "webhooks")
# The batch stages of the submission's way, served by the same `gridreg worker --queues` option.
STAGES = ("validation", "merge")
# A list of at most one token: however many submissions ring it, an idle worker wakes once.
WAKE_KEY = "gridreg:batches:wake"
DEFAULT_RETRY_INTERVALS = (10, 60, 300)
JOB_TIMEOUT = 600


@lru_cache(maxsize=8)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)


def redis_connection(settings: Settings) -> Redis:
    """The process's Redis connection for ``settings``."""
    if not settings.redis_url:
        raise RuntimeError("no Redis configured")
    return _redis(settings.redis_url)


def get_queue(settings: Settings, name: str) -> Queue:
    """One of the named RQ queues."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection(settings), default_timeout=JOB_TIMEOUT)


def job_path(job: Callable[..., Any]) -> str:
    """The import path RQ names a job function by (``server.submissions.jobs.validate_submission``)."""
    return f"{job.__module__}.{job.__qualname__}"


def resolve(dotted: str) -> Callable[..., Any]:
    """The job function named by its import path."""
    module, _, name = dotted.rpartition(".")
    func: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return func


def _job_id(dotted: str, args: Sequence[object]) -> str:
    """A deterministic id, so ringing the same bell twice queues one job.

    RQ 3 accepts only letters, digits, '_' and '-' in job ids: ``validate_submission-42``.
    """
    return "-".join([dotted.rsplit(".", 1)[-1], *(re.sub(r"[^A-Za-z0-9_]", "_", str(a)) for a in args)])


def enqueue_now(settings: Settings, queue: str, dotted: str, *args: object, retries: int = 3) -> None:
    """Put a job on its queue right away (or run it inline without Redis)."""
    if not settings.redis_url:
        run_inline(dotted, *args)
        return
    intervals = list(DEFAULT_RETRY_INTERVALS[:retries]) or [10]
    get_queue(settings, queue).enqueue(
        dotted, *args, job_id=_job_id(dotted, args), retry=Retry(max=retries, interval=intervals),
        failure_ttl=30 * 24 * 3600, result_ttl=3600)


def run_inline(dotted: str, *args: object) -> None:
    """Run a job in this process; failures are logged, the row stays for requeue-stuck."""
    try:
        resolve(dotted)(*args)
    except Exception:  # noqa: BLE001 - the job edge: the row's state tells what is left to do
        log.exception("inline job failed", extra={"path": dotted})


def enqueue_after_commit(session: Session, settings: Settings, queue: str, dotted: str, *args: object) -> None:
    """Ring the job's bell once the session's transaction has committed."""
    after_commit(session, lambda: _ring_committed(settings, queue, dotted, *args))


def _ring_committed(settings: Settings, queue: str, dotted: str, *args: object) -> None:
    """Enqueue for a committed row: Redis being down must not fail the request; requeue-stuck rings again."""
    try:
        enqueue_now(settings, queue, dotted, *args)
    except RedisError:
        log.warning("enqueue failed after commit; the row waits for requeue-stuck",
                    extra={"path": dotted}, exc_info=True)



def wake(settings: Settings) -> None:
    """Wake an idle batch worker (one round trip); Redis being down costs only the workers' next poll."""
    try:
        pipe = redis_connection(settings).pipeline(transaction=False)
        pipe.lpush(WAKE_KEY, 1)
        pipe.ltrim(WAKE_KEY, 0, 0)
        pipe.execute()
    except RedisError:
        log.warning("wake-up failed; the job workers' poll finds the work", exc_info=True)


def wait_for_wake(settings: Settings, timeout: float) -> bool:
    """Block until a wake-up (True) or ``timeout`` seconds (False); RedisError when Redis is unreachable."""
    return redis_connection(settings).blpop([WAKE_KEY], timeout=timeout) is not None
