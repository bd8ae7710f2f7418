"""Report periods and the schedule, in the city's time zone with the clock injected."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from server.errors import RuleViolation
from server.reports import periods

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = periods.Schedule(end_day=25, run_day=25, run_time=time(18, 0), tz=SHANGHAI)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_period_is_named_after_the_month_it_ends_in():
    period = periods.parse_period("2026-12", 25)
    assert (period.start, period.end) == (date(2026, 11, 26), date(2026, 12, 25))
    january = periods.parse_period("2027-01", 25)
    assert (january.start, january.end) == (date(2026, 12, 26), date(2027, 1, 25))


def test_the_end_day_is_configurable():
    period = periods.parse_period("2026-03", 20)
    assert (period.start, period.end) == (date(2026, 2, 21), date(2026, 3, 20))


@pytest.mark.parametrize("name", ["2026-13", "2026-1", "26-11", "2026/11", "", "2026-11-25", "1999-12", "abcd-ef"])
def test_malformed_periods_are_refused_with_a_stable_code(name):
    with pytest.raises(RuleViolation) as caught:
        periods.parse_period(name, 25)
    assert caught.value.code == "report.period_malformed" and caught.value.status == 422


def test_days_after_the_end_day_belong_to_next_months_period():
    assert periods.period_containing(date(2026, 12, 25), 25).name == "2026-12"
    assert periods.period_containing(date(2026, 12, 26), 25).name == "2027-01"
    assert periods.period_containing(date(2026, 11, 26), 25).name == "2026-12"


def test_utc_bounds_are_the_citys_midnights():
    lo, hi = periods.parse_period("2026-12", 25).utc_bounds(SHANGHAI)
    assert lo == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert hi == datetime(2026, 12, 25, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected_run", "expected_period"),
    [
        (local(2026, 12, 7, 10, 0), local(2026, 12, 25, 18, 0), "2026-12"),
        # the small hours of the 25th in Shanghai are still the 24th in UTC: today's run is ahead
        (local(2026, 12, 25, 1, 30), local(2026, 12, 25, 18, 0), "2026-12"),
        # just after the run: next month's, across the year boundary
        (local(2026, 12, 25, 18, 0, 1), local(2027, 1, 25, 18, 0), "2027-01"),
        (local(2026, 12, 31, 23, 59), local(2027, 1, 25, 18, 0), "2027-01"),
        # the small hours of the 26th in Shanghai are the 25th in UTC, after the run
        (local(2026, 11, 26, 0, 30), local(2026, 12, 25, 18, 0), "2026-12"),
        (local(2027, 1, 25, 17, 59), local(2027, 1, 25, 18, 0), "2027-01"),
    ],
)
def test_next_run_is_the_25th_at_the_run_time_in_shanghai(now, expected_run, expected_period):
    when, period = periods.next_run(now.astimezone(UTC), SCHEDULE)
    assert when == expected_run.astimezone(UTC) and when.tzinfo is UTC
    assert when.astimezone(SHANGHAI).day == 25
    assert period.name == expected_period


def test_next_run_early_in_the_morning_runs_the_same_day():
    early = periods.Schedule(end_day=25, run_day=25, run_time=time(1, 0), tz=SHANGHAI)
    # 2026-12-24 17:30 UTC is 01:30 on the 25th in Shanghai: already past today's 01:00 run.
    when, period = periods.next_run(datetime(2026, 12, 24, 16, 30, tzinfo=UTC), early)
    assert when == datetime(2026, 12, 24, 17, 0, tzinfo=UTC) and period.name == "2026-12"
    when, period = periods.next_run(datetime(2026, 12, 24, 17, 30, tzinfo=UTC), early)
    assert when == local(2027, 1, 25, 1, 0).astimezone(UTC) and period.name == "2027-01"


def test_a_run_day_before_the_end_day_is_next_months():
    schedule = periods.Schedule(end_day=25, run_day=2, run_time=time(9, 0), tz=SHANGHAI)
    when, period = periods.next_run(local(2026, 12, 27, 0, 0).astimezone(UTC), schedule)
    assert when == local(2027, 1, 2, 9, 0).astimezone(UTC) and period.name == "2026-12"


def test_a_period_not_begun_is_refused_and_the_running_one_is_provisional():
    december = periods.parse_period("2026-12", 25)
    with pytest.raises(RuleViolation) as caught:
        periods.check_runnable(december, local(2026, 11, 25, 23, 59).astimezone(UTC), SCHEDULE)
    assert caught.value.code == "report.period_not_begun" and caught.value.status == 422
    assert periods.check_runnable(december, local(2026, 11, 26, 0, 0).astimezone(UTC), SCHEDULE) is True
    assert periods.check_runnable(december, local(2026, 12, 25, 17, 59).astimezone(UTC), SCHEDULE) is True
    assert periods.check_runnable(december, local(2026, 12, 25, 18, 0).astimezone(UTC), SCHEDULE) is False
