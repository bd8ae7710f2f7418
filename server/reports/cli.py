"""``gridreg reports``: run a period's monthly report by hand, and keep the next one scheduled."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from server.cli import _settings, cli_session, main
from server.settings import Settings


@main.group()
def reports() -> None:
    """The monthly report."""


@reports.command("monthly")
@click.option("--period", required=True, help="YYYY-MM, the month the period ends in (2026-12: 11-26 .. 12-25)")
@click.option("--unit", default=None, help="admin unit code (default: the whole city)")
def reports_monthly(period: str, unit: str | None) -> None:
    """Count a period now: a new revision for the unit and every unit below it."""
    from server.reports.service import RUN_STEPS, run_monthly

    with cli_session() as (session, settings), click.progressbar(
            length=len(RUN_STEPS), label=f"monthly report {period}", show_eta=False,
            item_show_func=lambda step: step) as bar:
        rows = run_monthly(session, settings, period, now=datetime.now(UTC), unit_code=unit, trigger="cli",
                           progress=lambda step: bar.update(1, step))
    top = rows[0]
    state = "provisional" if top.provisional else "final"
    click.echo(f"{top.period} {top.unit_code} revision {top.revision} ({state}): {len(rows)} units, "
               f"{top.figures['persons_present']} persons present")
    for name, (old, new) in (top.changes or {}).items():
        click.echo(f"  {name}: {old} -> {new}")


@reports.command("schedule")
@click.option("--every", default=300, show_default=True, help="check again every N seconds; 0 schedules once")
def reports_schedule(every: int) -> None:
    """Keep the next period's report scheduled in RQ (run day and time from the settings, city time).

    Without Redis (the demo) it waits for the due moment itself and runs the report in this process.
    """
    from server.reports.jobs import ensure_scheduled

    settings = _settings()
    if not settings.redis_url:
        _run_here(settings, every)
        return
    while True:
        when, period, new = ensure_scheduled(settings, datetime.now(UTC))
        local = when.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        click.echo(f"{'scheduled' if new else 'already scheduled'}: {period.name} at {local}")
        if not every:
            return
        time.sleep(every)


def _run_here(settings: Settings, every: int) -> None:
    """The schedule without Redis: sleep until the next due moment, then run the whole city's report."""
    from server.reports.periods import next_run
    from server.reports.service import run_monthly, schedule_of

    while True:
        when, period = next_run(datetime.now(UTC), schedule_of(settings))
        click.echo(f"no Redis: {period.name} runs in this process at {when.astimezone(settings.tz):%Y-%m-%d %H:%M %Z}")
        while (wait := (when - datetime.now(UTC)).total_seconds()) > 0:
            time.sleep(min(wait, every or wait))
        with cli_session() as (session, _):
            rows = run_monthly(session, settings, period.name, now=datetime.now(UTC), trigger="schedule")
        click.echo(f"{period.name}: revision {rows[0].revision} for {len(rows)} units")
        if not every:
            return
