"""``gridreg worker`` and ``gridreg jobs``: run, inspect and retry background jobs."""

from __future__ import annotations

import logging
import signal
import threading
import time

import click
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry

# The job modules are imported once here, with the commands, not in every job: the job wiring
# imports the submission's way and what follows it; the monthly report runs on RQ's schedule.
import server.reports.jobs  # noqa: F401
from server import batch_worker, pipeline, queue, worker
from server.cli import _settings, cli_session, main
from server.settings import Settings

log = logging.getLogger(__name__)


@main.command("worker")
@click.option("--queues", default=",".join(queue.STAGES + queue.QUEUES), show_default=True,
              help="comma-separated batch stages (validation, merge) and RQ queue names")
@click.option("--burst", is_flag=True, help="stop when the stages and queues are empty")
@click.option("--fork", is_flag=True, help="run each RQ job in a forked child (isolation at ~10x the CPU per job)")
@click.option("--batch-size", default=batch_worker.BATCH_SIZE, show_default=True, type=click.IntRange(1, 1000),
              help="submissions a stage claims per transaction")
def run_worker(queues: str, burst: bool, fork: bool, batch_size: int) -> None:
    """Run the batch stages of the submission's way and an RQ worker on the given queues.

    The stages claim submissions from the database in batches
    (server/batch_worker.py), in a thread beside RQ's loop when RQ queues are
    served too. RQ jobs run in the worker process itself by default: our jobs
    are short, open their own transaction and keep per-process caches (form
    definitions, validation plans) warm, which a fork per job would throw away.
    """
    from server.db import make_engine

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("GRIDREG_REDIS_URL is not set: without Redis, jobs run inline in the web process")
    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [n for n in names if n not in queue.STAGES + queue.QUEUES]
    if unknown:
        raise click.ClickException(f"unknown queue(s): {', '.join(unknown)}")
    worker.configure(settings, make_engine(settings))
    stages = [stage for stage in pipeline.BATCHES if stage.name in names]
    rq_names = [n for n in names if n in queue.QUEUES]
    stop = threading.Event()
    if not rq_names:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        batch_worker.run(settings, stages, stop, burst=burst, limit=batch_size)
        return
    batches = threading.Thread(target=batch_worker.run, args=(settings, stages, stop), name="batches", daemon=True,
                               kwargs={"burst": burst, "limit": batch_size})
    if stages:
        batches.start()
    worker_class = Worker if fork else SimpleWorker
    try:
        rq_worker = _rq_worker(worker_class, settings, rq_names)
        rq_worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
        if stages:
            batches.join(timeout=60)


def _rq_worker(worker_class: type[Worker] | type[SimpleWorker], settings: Settings,
               names: list[str]) -> Worker | SimpleWorker:
    """RQ's worker for ``names``, once Redis answers: a worker started while Redis is down waits for it (the batch
    stages, which need only the database, go on meanwhile) instead of dying at start."""
    delay = 1.0
    while True:
        try:
            return worker_class([queue.get_queue(settings, n) for n in names],
                                connection=queue.redis_connection(settings))
        except RedisError:
            log.warning("Redis unavailable; RQ's queues wait for it", exc_info=True)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


@main.group()
def jobs() -> None:
    """Inspect and retry background jobs."""


@jobs.command("failed")
def jobs_failed() -> None:
    """List submissions whose batch stage failed unexpectedly (retried with backoff), then failed RQ jobs."""
    from sqlalchemy import select

    from server.submissions.models import Submission

    with cli_session() as (session, settings):
        for row in session.execute(select(Submission.id, Submission.instance_id, Submission.status,
                                          Submission.attempts, Submission.retry_at)
                                   .where(Submission.attempts > 0, Submission.status.in_(("received", "validated")))
                                   .order_by(Submission.id)):
            due = f"{row.retry_at:%Y-%m-%d %H:%M:%S} UTC" if row.retry_at else "now"
            click.echo(f"{row.status}\tsubmission {row.id}\t{row.instance_id}\t{row.attempts} failed tries; next {due}")
    if not settings.redis_url:
        raise click.ClickException("no Redis configured; inline jobs leave their rows for `jobs requeue-stuck`")
    for name in queue.QUEUES:
        registry = FailedJobRegistry(name, connection=queue.redis_connection(settings))
        for job_id in registry.get_job_ids():
            job = Job.fetch(job_id, connection=queue.redis_connection(settings))
            last = (job.exc_info or "").strip().splitlines()[-1:] or [""]
            click.echo(f"{name}\t{job_id}\t{job.func_name}\t{last[0]}")


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Put a failed job back on its queue."""
    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("no Redis configured")
    for name in queue.QUEUES:
        registry = FailedJobRegistry(name, connection=queue.redis_connection(settings))
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            click.echo(f"requeued {job_id} on {name}")
            return
    raise click.ClickException(f"no failed job {job_id}")


@jobs.command("requeue-stuck")
@click.option("--older-than", default=300, show_default=True, help="seconds a row may wait before it counts as stuck")
@click.option("--every", default=0, help="repeat every N seconds (scheduler mode); 0 runs once")
def jobs_requeue_stuck(older_than: int, every: int) -> None:
    """Re-enqueue rows whose jobs never finished (Redis lost, worker killed)."""
    while True:
        with cli_session() as (session, settings):
            counts = pipeline.requeue_stuck(session, settings, older_than)
        click.echo(" ".join(f"{k.rsplit('.', 2)[-2]}={v}" for k, v in counts.items()) or "nothing to requeue")
        if not every:
            return
        time.sleep(every)
