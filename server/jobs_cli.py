"""``gridreg worker`` and ``gridreg jobs``: run, inspect and retry background jobs."""

from __future__ import annotations

import time

import click
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry

# The job modules are imported once here, with the commands, not in every job: the job wiring
# imports the submission's way and what follows it; the monthly report runs on RQ's schedule.
import server.reports.jobs  # noqa: F401
from server import pipeline, queue, worker
from server.cli import _settings, cli_session, main


@main.command("worker")
@click.option("--queues", default=",".join(queue.QUEUES), show_default=True, help="comma-separated queue names")
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
@click.option("--fork", is_flag=True, help="run each job in a forked child (isolation at ~10x the CPU per job)")
def run_worker(queues: str, burst: bool, fork: bool) -> None:
    """Run an RQ worker on the given queues.

    By default jobs run in the worker process itself: our jobs are short, open
    their own transaction and keep per-process caches (form definitions,
    validation plans) warm, which a fork per job would throw away each time.
    """
    from server.db import make_engine

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("GRIDREG_REDIS_URL is not set: without Redis, jobs run inline in the web process")
    worker.configure(settings, make_engine(settings))
    names = [q.strip() for q in queues.split(",") if q.strip()]
    worker_class = Worker if fork else SimpleWorker
    rq_worker = worker_class([queue.get_queue(settings, n) for n in names], connection=queue.redis_connection(settings))
    rq_worker.work(burst=burst, with_scheduler=True)


@main.group()
def jobs() -> None:
    """Inspect and retry background jobs."""


@jobs.command("failed")
def jobs_failed() -> None:
    """List failed jobs on every queue."""
    settings = _settings()
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
