"""The monthly report on the schedule: RQ's scheduler enqueues it at the period's due moment.

``gridreg reports schedule`` (the compose file's ``report-scheduler``) puts the
next period's run into RQ's scheduled-job registry with ``enqueue_at`` at the
moment ``periods.next_run`` gives (the run day at the run time, city time); a
worker started with its scheduler (``gridreg worker`` is) moves it onto the
``reports`` queue when due, and ``run_scheduled_report`` counts the whole city.
The job id names the period, so scheduling again changes nothing, and the job
skips a period whose scheduled revision already exists, so a retry does too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rq.job import Job
from sqlalchemy import select

from server import queue, worker
from server.reports import periods
from server.reports.models import MonthlyReport
from server.reports.service import run_monthly, schedule_of
from server.settings import Settings

QUEUE = "reports"


def job_id(period: periods.Period) -> str:
    """The scheduled job's id for a period."""
    return f"monthly_report-{period.name}"


def run_scheduled_report(period_name: str, now: datetime | None = None) -> None:
    """Count a period for the whole city as the scheduled (non-provisional once due) revision."""
    with worker.job_session() as session:
        done = session.scalar(select(MonthlyReport.id).where(
            MonthlyReport.period == period_name, MonthlyReport.trigger == "schedule").limit(1))
        if done is None:
            run_monthly(session, worker.settings(), period_name, now=now or datetime.now(UTC), trigger="schedule")


JOB = queue.job_path(run_scheduled_report)


def ensure_scheduled(settings: Settings, now: datetime) -> tuple[datetime, periods.Period, bool]:
    """Schedule the next period's report in RQ unless it is already; (when, period, newly scheduled)."""
    when, period = periods.next_run(now, schedule_of(settings))
    connection = queue.redis_connection(settings)
    if Job.exists(job_id(period), connection=connection):
        return when, period, False
    queue.get_queue(settings, QUEUE).enqueue_at(
        when, JOB, period.name, job_id=job_id(period), result_ttl=90 * 24 * 3600, failure_ttl=90 * 24 * 3600)
    return when, period, True
