"""XPath number functions and ODK's math extensions (pow, exp10, log10, trig...).

int() truncates toward zero; round() is XPath 1.0 round (ties toward positive
infinity, so -2.5 -> -2, as JavaRosa) with ODK's optional decimal places.
Results follow IEEE doubles as JavaRosa's Java math does: domain errors give NaN
(sqrt(-1), log(-1)), poles give infinities (log(0)), never Python exceptions.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .coercion import NAN, string_to_number, to_number
from .context import Frame
from .registry import xfn


# -- numbers -----------------------------------------------------------------
@xfn("number", 0, 1)
def f_number(fr: Frame, v: Any = None) -> float:
    """number([x]): x as a number (context node without an argument)."""
    return string_to_number(fr.node.text, fr.c.tz) if v is None else to_number(v, fr.c.tz)


@xfn("int", 1)
def f_int(fr: Frame, v: Any) -> float:
    """int(x): truncate toward zero; NaN and infinities pass through."""
    x = to_number(v, fr.c.tz)
    if x != x or math.isinf(x):
        return x
    return float(math.trunc(x))


def round_half_up(x: float, digits: int = 0) -> float:
    """XPath round(): nearest value with ``digits`` places, ties toward positive infinity."""
    if x != x or math.isinf(x):
        return x
    if digits > 30 or digits < -30:
        return NAN
    mode = ROUND_HALF_UP if x >= 0 else ROUND_HALF_DOWN
    try:
        q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=mode)
    except InvalidOperation:
        return x
    return float(q) + 0.0


@xfn("round", 1, 2)
def f_round(fr: Frame, v: Any, places: Any = None) -> float:
    """round(x[, places]): XPath rounding, optionally to a number of decimal places."""
    x = to_number(v, fr.c.tz)
    if places is None:
        return round_half_up(x)
    p = to_number(places, fr.c.tz)
    if p != p or math.isinf(p):
        return NAN
    return round_half_up(x, int(p))


@xfn("floor", 1)
def f_floor(fr: Frame, v: Any) -> float:
    """floor(x): largest integer not above x."""
    x = to_number(v, fr.c.tz)
    return x if x != x or math.isinf(x) else float(math.floor(x))


@xfn("ceiling", 1)
def f_ceiling(fr: Frame, v: Any) -> float:
    """ceiling(x): smallest integer not below x."""
    x = to_number(v, fr.c.tz)
    return x if x != x or math.isinf(x) else float(math.ceil(x))


@xfn("abs", 1)
def f_abs(fr: Frame, v: Any) -> float:
    """abs(x): absolute value."""
    return abs(to_number(v, fr.c.tz))


def _safe(fn: Any, *xs: float) -> float:
    try:
        return float(fn(*xs))
    except (ValueError, ZeroDivisionError):
        return NAN
    except OverflowError:
        return math.inf


def _pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        return math.inf
    try:
        r = a ** b
    except OverflowError:
        return math.inf
    return NAN if isinstance(r, complex) else float(r)


@xfn("pow", 2)
def f_pow(fr: Frame, a: Any, b: Any) -> float:
    """pow(base, exponent): base raised to exponent (NaN for complex results)."""
    return _pow(to_number(a, fr.c.tz), to_number(b, fr.c.tz))


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.log(x) if x > 0 or x != x else NAN


def _log10(x: float) -> float:
    if x == 0:
        return -math.inf
    return math.log10(x) if x > 0 or x != x else NAN


_UNARY_MATH = {
    "sqrt": lambda x: math.sqrt(x) if x >= 0 or x != x else NAN,
    "exp": math.exp,
    "exp10": lambda x: _pow(10.0, x),
    "log": _log,
    "log10": _log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}


def _unary_math(fname: str) -> None:
    op = _UNARY_MATH[fname]

    def impl(fr: Frame, v: Any) -> float:
        return _safe(op, to_number(v, fr.c.tz))

    xfn(fname, 1)(impl)


for _name in _UNARY_MATH:
    _unary_math(_name)


@xfn("atan2", 2)
def f_atan2(fr: Frame, y: Any, x: Any) -> float:
    """atan2(y, x): angle of the point (x, y) in radians."""
    return _safe(math.atan2, to_number(y, fr.c.tz), to_number(x, fr.c.tz))


@xfn("pi", 0)
def f_pi(fr: Frame) -> float:
    """pi(): the constant pi."""
    return math.pi
