"""XPath 1.0 core functions with ODK's extensions: strings, numbers, booleans, node-sets.

Definitions follow the ODK XForms spec and JavaRosa: int() truncates toward
zero; round() is XPath 1.0 round (ties toward positive infinity, so -2.5 -> -2)
with ODK's optional decimal places; sum() skips non-numeric nodes as JavaRosa
does; concat() flattens node-sets; max()/min() accept node-sets or several values.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .coercion import NAN, string_to_number, to_boolean, to_number, to_string
from .context import Frame
from .document import NodeSet
from .errors import ExprTypeError
from .registry import xfn


def _nodes(v: Any, fname: str) -> NodeSet:
    if isinstance(v, NodeSet):
        return v
    raise ExprTypeError(f"{fname}() needs a node-set argument, got {to_string(v)!r}")


def flatten(values: tuple[Any, ...]) -> list[str]:
    """String values of the arguments, expanding node-sets to every node's value."""
    out: list[str] = []
    for v in values:
        if isinstance(v, NodeSet):
            out.extend(n.text for n in v)
        else:
            out.append(to_string(v))
    return out


# -- strings -----------------------------------------------------------------
@xfn("string", 0, 1)
def f_string(fr: Frame, v: Any = None) -> str:
    return fr.node.text if v is None else to_string(v)


@xfn("concat", 0, None)
def f_concat(fr: Frame, *vals: Any) -> str:
    return "".join(flatten(vals))


@xfn("join", 1, None)
def f_join(fr: Frame, sep: Any, *vals: Any) -> str:
    return to_string(sep).join(flatten(vals))


@xfn("contains", 2)
def f_contains(fr: Frame, a: Any, b: Any) -> bool:
    return to_string(b) in to_string(a)


@xfn("starts-with", 2)
def f_starts_with(fr: Frame, a: Any, b: Any) -> bool:
    return to_string(a).startswith(to_string(b))


@xfn("ends-with", 2)
def f_ends_with(fr: Frame, a: Any, b: Any) -> bool:
    return to_string(a).endswith(to_string(b))


@xfn("substring-before", 2)
def f_substring_before(fr: Frame, a: Any, b: Any) -> str:
    s, t = to_string(a), to_string(b)
    i = s.find(t)
    return s[:i] if i >= 0 else ""


@xfn("substring-after", 2)
def f_substring_after(fr: Frame, a: Any, b: Any) -> str:
    s, t = to_string(a), to_string(b)
    i = s.find(t)
    return s[i + len(t):] if i >= 0 else ""


@xfn("substr", 2, 3)
def f_substr(fr: Frame, a: Any, start: Any, end: Any = None) -> str:
    """ODK substr(string, start[, end]): 0-based, end exclusive, clipped to the string."""
    s = to_string(a)
    n = len(s)
    b = to_number(start, fr.c.tz)
    e = float(n) if end is None else to_number(end, fr.c.tz)
    if b != b or e != e:
        return ""
    bi = max(0, min(n, int(b)))
    ei = max(0, min(n, int(e)))
    return s[bi:ei] if bi < ei else ""


@xfn("substring", 2, 3)
def f_substring(fr: Frame, a: Any, start: Any, length: Any = None) -> str:
    """XPath 1.0 substring(): 1-based with round() positions."""
    s = to_string(a)
    first = _xpath_round(to_number(start, fr.c.tz))
    last = math.inf if length is None else first + _xpath_round(to_number(length, fr.c.tz))
    if first != first or last != last:
        return ""
    return "".join(ch for i, ch in enumerate(s, 1) if first <= i < last)


def _xpath_round(x: float) -> float:
    if x != x or math.isinf(x):
        return x
    return float(math.floor(x + 0.5))


@xfn("string-length", 0, 1)
def f_string_length(fr: Frame, v: Any = None) -> float:
    return float(len(fr.node.text if v is None else to_string(v)))


@xfn("normalize-space", 0, 1)
def f_normalize_space(fr: Frame, v: Any = None) -> str:
    return " ".join((fr.node.text if v is None else to_string(v)).split())


@xfn("translate", 3)
def f_translate(fr: Frame, a: Any, b: Any, c: Any) -> str:
    src, frm, to = to_string(a), to_string(b), to_string(c)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):
        if ord(ch) not in table:
            table[ord(ch)] = ord(to[i]) if i < len(to) else None
    return src.translate(table)


# -- numbers -----------------------------------------------------------------
@xfn("number", 0, 1)
def f_number(fr: Frame, v: Any = None) -> float:
    return string_to_number(fr.node.text, fr.c.tz) if v is None else to_number(v, fr.c.tz)


@xfn("int", 1)
def f_int(fr: Frame, v: Any) -> float:
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
    x = to_number(v, fr.c.tz)
    if places is None:
        return round_half_up(x)
    p = to_number(places, fr.c.tz)
    if p != p:
        return NAN
    return round_half_up(x, int(p))


@xfn("floor", 1)
def f_floor(fr: Frame, v: Any) -> float:
    x = to_number(v, fr.c.tz)
    return x if x != x or math.isinf(x) else float(math.floor(x))


@xfn("ceiling", 1)
def f_ceiling(fr: Frame, v: Any) -> float:
    x = to_number(v, fr.c.tz)
    return x if x != x or math.isinf(x) else float(math.ceil(x))


@xfn("abs", 1)
def f_abs(fr: Frame, v: Any) -> float:
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
    return _safe(math.atan2, to_number(y, fr.c.tz), to_number(x, fr.c.tz))


@xfn("pi", 0)
def f_pi(fr: Frame) -> float:
    return math.pi


# -- booleans ----------------------------------------------------------------
@xfn("boolean", 1)
def f_boolean(fr: Frame, v: Any) -> bool:
    return to_boolean(v)


@xfn("boolean-from-string", 1)
def f_boolean_from_string(fr: Frame, v: Any) -> bool:
    text = to_string(v).strip()
    return text == "1" or text.lower() == "true"


@xfn("not", 1)
def f_not(fr: Frame, v: Any) -> bool:
    return not to_boolean(v)


@xfn("true", 0)
def f_true(fr: Frame) -> bool:
    return True


@xfn("false", 0)
def f_false(fr: Frame) -> bool:
    return False


# -- node-sets and aggregates --------------------------------------------------
@xfn("count", 1)
def f_count(fr: Frame, v: Any) -> float:
    return float(len(_nodes(v, "count")))


@xfn("count-non-empty", 1)
def f_count_non_empty(fr: Frame, v: Any) -> float:
    return float(sum(1 for n in _nodes(v, "count-non-empty") if n.text != ""))


@xfn("sum", 1)
def f_sum(fr: Frame, v: Any) -> float:
    tz = fr.c.tz
    nums = (string_to_number(n.text, tz) for n in _nodes(v, "sum"))
    return float(sum(x for x in nums if x == x))


def _numbers(fr: Frame, vals: tuple[Any, ...]) -> list[float]:
    tz = fr.c.tz
    out: list[float] = []
    for v in vals:
        if isinstance(v, NodeSet):
            out.extend(string_to_number(n.text, tz) for n in v)
        else:
            out.append(to_number(v, tz))
    return out


@xfn("max", 1, None)
def f_max(fr: Frame, *vals: Any) -> float:
    nums = _numbers(fr, vals)
    if not nums or any(x != x for x in nums):
        return NAN
    return max(nums)


@xfn("min", 1, None)
def f_min(fr: Frame, *vals: Any) -> float:
    nums = _numbers(fr, vals)
    if not nums or any(x != x for x in nums):
        return NAN
    return min(nums)


@xfn("position", 0, 1)
def f_position(fr: Frame, v: Any = None) -> float:
    """position(): index in the current predicate, else the context node's repeat index."""
    if v is None:
        return float(fr.pos or fr.node.index)
    nodes = _nodes(v, "position")
    return float(nodes[0].index) if nodes else NAN


@xfn("last", 0)
def f_last(fr: Frame) -> float:
    return float(fr.size or 1)


@xfn("name", 0, 1)
def f_name(fr: Frame, v: Any = None) -> str:
    if v is None:
        return fr.node.name
    nodes = _nodes(v, "name")
    return str(nodes[0].name) if nodes else ""


@xfn("local-name", 0, 1)
def f_local_name(fr: Frame, v: Any = None) -> str:
    return f_name(fr, v).split(":")[-1]


@xfn("current", 0)
def f_current(fr: Frame) -> NodeSet:
    return NodeSet([fr.c.node])
