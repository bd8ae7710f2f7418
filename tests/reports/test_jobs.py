"""The report on RQ's scheduler: the next period is scheduled for its due moment and runs once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select

from server import worker
from server.reports import jobs
from server.reports.models import MonthlyReport
from tests.conftest import REDIS_URL


@pytest.fixture
def job_context(settings, engine, maker):
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


def test_the_next_period_is_scheduled_once_for_the_25th_in_shanghai(settings, redis_conn):
    redis_settings = settings.with_(redis_url=REDIS_URL)
    # 2026-12-31 17:00 UTC is 01:00 on 2027-01-01 in Shanghai: across the year boundary.
    now = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    when, period, new = jobs.ensure_scheduled(redis_settings, now)
    assert new and period.name == "2027-01" and when == datetime(2027, 1, 25, 10, 0, tzinfo=UTC)
    registry = ScheduledJobRegistry("reports", connection=redis_conn)
    assert registry.get_job_ids() == ["monthly_report-2027-01"]
    assert registry.get_scheduled_time("monthly_report-2027-01") == when
    job = Job.fetch("monthly_report-2027-01", connection=redis_conn)
    assert job.func_name == jobs.JOB and job.args == ("2027-01",)
    assert jobs.ensure_scheduled(redis_settings, now)[2] is False
    assert registry.get_job_ids() == ["monthly_report-2027-01"]


def test_a_due_report_runs_through_rqs_scheduler_and_worker(settings, redis_conn, job_context, db):
    redis_settings = settings.with_(redis_url=REDIS_URL)
    _, period, _ = jobs.ensure_scheduled(redis_settings, datetime(2026, 11, 20, 0, 0, tzinfo=UTC))
    assert period.name == "2026-11"  # due 2026-11-25 10:00 UTC, long past: the scheduler moves it now
    scheduler = RQScheduler(["reports"], connection=redis_conn)
    scheduler.acquire_locks()
    scheduler.enqueue_scheduled_jobs()
    queue = Queue("reports", connection=redis_conn)
    assert queue.job_ids == ["monthly_report-2026-11"]
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    rows = list(db.scalars(select(MonthlyReport).where(MonthlyReport.period == "2026-11")))
    assert rows and {r.trigger for r in rows} == {"schedule"} and not any(r.provisional for r in rows)


def test_the_scheduled_job_runs_a_period_once(job_context, db):
    due = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    jobs.run_scheduled_report("2026-12", now=due)
    jobs.run_scheduled_report("2026-12", now=due)  # a retry changes nothing
    rows = list(db.scalars(select(MonthlyReport).where(MonthlyReport.unit_code == "410184")))
    assert [(r.revision, r.provisional, r.trigger) for r in rows] == [(1, False, "schedule")]
