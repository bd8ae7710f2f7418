"""ODK date and time functions: today, now, date, date-time, decimal-*, format-date*.

Dates travel as 'YYYY-MM-DD' strings and dateTimes as ODK's
'YYYY-MM-DDTHH:MM:SS.mmm+08:00'; numbers are days since the epoch. Empty input
gives empty output, so expressions over unanswered fields stay quiet.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from .coercion import NAN, to_string
from .context import Frame
from .dates import (
    datetime_to_days,
    days_to_date,
    days_to_datetime,
    format_iso_date,
    format_iso_datetime,
    parse_date,
    parse_datetime,
    parse_time_fraction,
    strftime_odk,
)
from .document import NodeSet
from .errors import ExprTypeError
from .registry import xfn

_NUMBER_CHARS = frozenset("0123456789.- ")
_MAX_DAYS = 2_900_000.0  # about year 9900 either side of 1970; Python dates end at 9999


def temporal(v: Any, tz: tzinfo, as_datetime: bool) -> date | datetime | None:
    """Interpret a value as a date or dateTime (numbers are days); None for '' or NaN."""
    if isinstance(v, bool):
        raise ExprTypeError(f"cannot convert boolean {v} to a date")
    if isinstance(v, float):
        if v != v:
            return None
        if not -_MAX_DAYS < v < _MAX_DAYS:
            raise ExprTypeError(f"{v} days is out of range for a date")
        try:
            return days_to_datetime(v, tz) if as_datetime else days_to_date(v)
        except (ValueError, OverflowError):  # before year 1 (in UTC or in tz)
            raise ExprTypeError(f"{v} days is out of range for a date") from None
    s = v[0].text if isinstance(v, NodeSet) and v else ("" if isinstance(v, NodeSet) else to_string(v))
    s = s.strip()
    if s == "":
        return None
    d = parse_date(s)
    if d is not None:
        return d
    dt = parse_datetime(s, tz)
    if dt is not None:
        return dt.astimezone(tz)
    if set(s) <= _NUMBER_CHARS:
        try:
            return temporal(float(s), tz, as_datetime)
        except ValueError:
            pass
    raise ExprTypeError(f"cannot convert {s!r} to a date")


@xfn("today", 0)
def f_today(fr: Frame) -> str:
    """today(): the current date in the evaluation time zone."""
    return format_iso_date(fr.c.now().date())


@xfn("now", 0)
def f_now(fr: Frame) -> str:
    """now(): the current dateTime in the evaluation time zone."""
    return format_iso_datetime(fr.c.now())


@xfn("date", 1)
def f_date(fr: Frame, v: Any) -> str:
    """date(x): x (days, date or dateTime) as a 'YYYY-MM-DD' date."""
    t = temporal(v, fr.c.tz, False)
    if t is None:
        return ""
    return format_iso_date(t.date() if isinstance(t, datetime) else t)


@xfn("date-time", 1)
def f_date_time(fr: Frame, v: Any) -> str:
    """date-time(x): x (days, date or dateTime) as an ODK dateTime string."""
    tz = fr.c.tz
    t = temporal(v, tz, True)
    if t is None:
        return ""
    if not isinstance(t, datetime):
        t = datetime(t.year, t.month, t.day, tzinfo=tz)
    return format_iso_datetime(t)


@xfn("decimal-date-time", 1)
def f_decimal_date_time(fr: Frame, v: Any) -> float:
    """decimal-date-time(x): fractional days since 1970-01-01T00:00Z."""
    if isinstance(v, float):
        return v
    t = temporal(v, fr.c.tz, True)
    if t is None:
        return NAN
    if not isinstance(t, datetime):  # a date is local midnight, as in JavaRosa
        t = datetime(t.year, t.month, t.day, tzinfo=fr.c.tz)
    return datetime_to_days(t)


@xfn("decimal-time", 1)
def f_decimal_time(fr: Frame, v: Any) -> float:
    """decimal-time(t): the time as a fraction of a day in the evaluation time zone."""
    s = to_string(v).strip()
    if s == "":
        return NAN
    tz = fr.c.tz
    dt = parse_datetime(s, tz)
    if dt is not None:
        local = dt.astimezone(tz)
        return (local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6) / 86400.0
    frac = parse_time_fraction(s, tz, fr.c.now().date())
    return NAN if frac is None else frac


def _format(fr: Frame, v: Any, fmt: Any, as_datetime: bool) -> str:
    try:
        t = temporal(v, fr.c.tz, as_datetime)
    except ExprTypeError:
        return ""
    if t is None:
        return ""
    return strftime_odk(t, to_string(fmt))


@xfn("format-date", 2)
def f_format_date(fr: Frame, v: Any, fmt: Any) -> str:
    """format-date(d, fmt): d formatted with ODK's % tokens ('' for empty or invalid dates)."""
    return _format(fr, v, fmt, False)


@xfn("format-date-time", 2)
def f_format_date_time(fr: Frame, v: Any, fmt: Any) -> str:
    """format-date-time(dt, fmt): dt formatted with ODK's % tokens."""
    return _format(fr, v, fmt, True)
