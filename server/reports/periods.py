"""Pure rules for report periods and the schedule, in the city's time zone.

A period is named after the month it ends in: with the period ending on the
25th, ``2026-12`` runs from 2026-11-26 to 2026-12-25 (both days included).
The report for a period is due on the run day at the run time (by default the
25th at 18:00 in Asia/Shanghai); a run before that moment is provisional. A
period that has not begun cannot be run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.errors import RuleViolation

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_DAY = 28  # every month has it, so a period never needs clamping


@dataclass(frozen=True)
class Schedule:
    """When periods end and when their report runs (typed Settings fill it)."""

    end_day: int = 25
    run_day: int = 25
    run_time: time = time(18, 0)
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Period:
    """One reporting period: its name and its first and last days."""

    name: str
    start: date
    end: date

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: the first day's midnight to the day after the last, in ``tz``."""
        lo = datetime.combine(self.start, time(0), tz).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tz).astimezone(UTC)
        return lo, hi


def _month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_of_month(year: int, month: int, end_day: int) -> Period:
    """The period that ends in the given month."""
    py, pm = _month_shift(year, month, -1)
    start = date(py, pm, end_day) + timedelta(days=1)
    return Period(f"{year:04d}-{month:02d}", start, date(year, month, end_day))


def parse_period(name: str, end_day: int) -> Period:
    """The period called ``YYYY-MM``; 422 ``report.period_malformed`` for anything else."""
    match = PERIOD_PATTERN.match(name or "")
    if not match or not 2000 <= int(match.group(1)) <= 2999:
        raise RuleViolation(
            f"period must be YYYY-MM (the month the period ends in), got {name!r}",
            code="report.period_malformed",
            message_zh="统计期格式应为 YYYY-MM（统计期结束所在月份）",
            errors={"period": [name]},
        )
    return period_of_month(int(match.group(1)), int(match.group(2)), end_day)


def period_containing(day: date, end_day: int) -> Period:
    """The period a day belongs to (after the end day, it is next month's)."""
    if day.day > end_day:
        year, month = _month_shift(day.year, day.month, 1)
        return period_of_month(year, month, end_day)
    return period_of_month(day.year, day.month, end_day)


def adjacent(period: Period, delta: int, end_day: int) -> Period:
    """The period ``delta`` months later (or earlier, when negative)."""
    year, month = _month_shift(period.end.year, period.end.month, delta)
    return period_of_month(year, month, end_day)


def due_at(period: Period, schedule: Schedule) -> datetime:
    """The moment (UTC) the period's report is due: the first run day at or after its last day."""
    year, month = period.end.year, period.end.month
    if schedule.run_day < schedule.end_day:
        year, month = _month_shift(year, month, 1)
    local = datetime.combine(date(year, month, schedule.run_day), schedule.run_time, schedule.tz)
    return local.astimezone(UTC)


def next_run(now: datetime, schedule: Schedule) -> tuple[datetime, Period]:
    """The next scheduled report after ``now`` (aware): when (UTC) and for which period."""
    local_day = now.astimezone(schedule.tz).date()
    here = period_containing(local_day, schedule.end_day)
    for delta in (-1, 0, 1, 2):
        candidate = adjacent(here, delta, schedule.end_day)
        when = due_at(candidate, schedule)
        if when > now:
            return when, candidate
    raise AssertionError("a period is always due within two months")  # pragma: no cover


def check_runnable(period: Period, now: datetime, schedule: Schedule) -> bool:
    """422 ``report.period_not_begun`` for a future period; True when a run now is provisional."""
    if now.astimezone(schedule.tz).date() < period.start:
        raise RuleViolation(
            f"period {period.name} begins on {period.start.isoformat()}: it cannot be reported yet",
            code="report.period_not_begun",
            message_zh=f"统计期 {period.name} 自 {period.start.isoformat()} 开始，尚不能统计",
            errors={"period": [period.name]},
        )
    return now < due_at(period, schedule)
