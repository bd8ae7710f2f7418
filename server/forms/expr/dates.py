"""Date, dateTime and time handling for ODK's date functions and date arithmetic.

Following JavaRosa (ODK Collect's engine), a date or dateTime used as a number
is the whole number of days from 1970-01-01 to the calendar day it falls on in
the evaluation time zone (DateUtils.daysSinceEpoch), so ``now() >= today()``
holds at any hour; only decimal-date-time() keeps the exact instant, as
fractional days since 1970-01-01T00:00Z (so
decimal-date-time('2018-04-24T15:30:00.000-07:00') is 17645.9375). Wall-clock
values without an offset are read in the evaluation time zone. An offset of 24
hours or more, or a dateTime outside years 1-9999 (in UTC or in the evaluation
time zone), is not a date.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TZ_NAME = "Asia/Shanghai"
DEFAULT_TZ: tzinfo = ZoneInfo(DEFAULT_TZ_NAME)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)

_DATE_RE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*\Z")
_DATETIME_RE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*\Z"
)
_TIME_RE = re.compile(r"\s*(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*\Z")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@lru_cache(maxsize=64)
def get_tz(name: str) -> tzinfo:
    """Resolve an IANA time zone name (cached)."""
    return ZoneInfo(name)


class _BadOffset(ValueError):
    """A UTC offset outside -23:59..+23:59."""


def _offset(text: str | None) -> tzinfo | None:
    """The zone an offset suffix names (None when there is none); _BadOffset when out of range."""
    if text is None:
        return None
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    if hours > 23 or minutes > 59:
        raise _BadOffset(text)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(s: str) -> date | None:
    """Parse 'YYYY-MM-DD' (None if not a valid calendar date)."""
    m = _DATE_RE.match(s)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_datetime(s: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO dateTime; values without an offset are wall-clock time in tz."""
    m = _DATETIME_RE.match(s)
    if m is None:
        return None
    y, mo, d, hh, mi, ss, frac, off = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        zone = _offset(off)
        dt = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0), micro,
                      tzinfo=zone if zone is not None else tz)
        dt.astimezone(UTC)  # both must exist: a dateTime outside years 1-9999 is not a date
        dt.astimezone(tz)
    except (ValueError, OverflowError):
        return None
    return dt


def date_to_days(d: date) -> float:
    """Days since 1970-01-01."""
    return float(d.toordinal() - EPOCH_ORDINAL)


def datetime_to_days(dt: datetime) -> float:
    """Fractional days since 1970-01-01T00:00Z."""
    delta = dt - _EPOCH_UTC
    return (delta.days * 86400 + delta.seconds + delta.microseconds / 1e6) / 86400.0


def string_to_days(s: str, tz: tzinfo) -> float | None:
    """Whole days since 1970-01-01 of the local calendar day of a date or dateTime string, else None."""
    if len(s) < 10 or not s.lstrip()[:4].isdigit():
        return None
    d = parse_date(s)
    if d is not None:
        return date_to_days(d)
    dt = parse_datetime(s, tz)
    return None if dt is None else date_to_days(dt.astimezone(tz).date())


def days_to_date(days: float) -> date:
    """The calendar date a (possibly fractional) day count falls on (ValueError outside years 1-9999)."""
    return date.fromordinal(EPOCH_ORDINAL + math.floor(days))


def days_to_datetime(days: float, tz: tzinfo) -> datetime:
    """The instant a fractional day count denotes, shown in tz (OverflowError outside years 1-9999)."""
    return (_EPOCH_UTC + timedelta(milliseconds=round(days * 86400000))).astimezone(tz)


def format_iso_date(d: date) -> str:
    """'YYYY-MM-DD'."""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def format_iso_datetime(dt: datetime) -> str:
    """ODK's dateTime form: 'YYYY-MM-DDTHH:MM:SS.mmm+08:00'."""
    off = dt.utcoffset() or timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    hh, mm = divmod(abs(total), 60)
    return (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
            f".{dt.microsecond // 1000:03d}{sign}{hh:02d}:{mm:02d}")


def parse_time_fraction(s: str, tz: tzinfo, on: date) -> float | None:
    """Fraction of the day (in tz) of a 'HH:MM[:SS[.sss]][offset]' time, or None."""
    m = _TIME_RE.match(s)
    if m is None:
        return None
    hh, mi, ss, frac, off = m.groups()
    h, mnt, sec = int(hh), int(mi), int(ss or 0)
    if h > 23 or mnt > 59 or sec > 59:
        return None
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        zone = _offset(off)
        wall = datetime(on.year, on.month, on.day, h, mnt, sec, micro, tzinfo=zone or tz).astimezone(tz)
    except (ValueError, OverflowError):
        return None
    seconds = wall.hour * 3600 + wall.minute * 60 + wall.second + wall.microsecond / 1e6
    return seconds / 86400.0


def strftime_odk(dt: datetime | date, fmt: str) -> str:
    """Apply ODK format-date tokens: %Y %y %m %n %b %d %e %a %H %h %M %S %3."""
    out: list[str] = []
    i = 0
    n = len(fmt)
    is_dt = isinstance(dt, datetime)
    while i < n:
        c = fmt[i]
        if c != "%" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        t = fmt[i + 1]
        i += 2
        hour = dt.hour if is_dt else 0  # type: ignore[union-attr]
        minute = dt.minute if is_dt else 0  # type: ignore[union-attr]
        second = dt.second if is_dt else 0  # type: ignore[union-attr]
        micro = dt.microsecond if is_dt else 0  # type: ignore[union-attr]
        if t == "Y":
            out.append(f"{dt.year:04d}")
        elif t == "y":
            out.append(f"{dt.year % 100:02d}")
        elif t == "m":
            out.append(f"{dt.month:02d}")
        elif t == "n":
            out.append(str(dt.month))
        elif t == "b":
            out.append(_MONTHS[dt.month - 1])
        elif t == "d":
            out.append(f"{dt.day:02d}")
        elif t == "e":
            out.append(str(dt.day))
        elif t == "a":
            out.append(_DAYS[dt.weekday()])
        elif t == "H":
            out.append(f"{hour:02d}")
        elif t == "h":
            out.append(str(hour))
        elif t == "M":
            out.append(f"{minute:02d}")
        elif t == "S":
            out.append(f"{second:02d}")
        elif t == "3":
            out.append(f"{micro // 1000:03d}")
        elif t == "%":
            out.append("%")
        else:
            out.append("%" + t)
    return "".join(out)
