"""XPath 1.0 core functions with ODK's extensions: strings, numbers, booleans, node-sets.

Definitions follow the ODK XForms spec and JavaRosa: sum() skips non-numeric
nodes as JavaRosa does; concat() flattens node-sets; max()/min() accept
node-sets or several values. Number functions live in functions_math.
"""

from __future__ import annotations

import math
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
    """string([x]): x as a string; the context node's value without an argument."""
    return fr.node.text if v is None else to_string(v)


@xfn("concat", 0, None)
def f_concat(fr: Frame, *vals: Any) -> str:
    """concat(...): join all arguments; node-sets contribute every node (ODK)."""
    return "".join(flatten(vals))


@xfn("join", 1, None)
def f_join(fr: Frame, sep: Any, *vals: Any) -> str:
    """join(sep, ...): the values (node-sets flattened) separated by sep."""
    return to_string(sep).join(flatten(vals))


@xfn("contains", 2)
def f_contains(fr: Frame, a: Any, b: Any) -> bool:
    """contains(a, b): whether b occurs in a."""
    return to_string(b) in to_string(a)


@xfn("starts-with", 2)
def f_starts_with(fr: Frame, a: Any, b: Any) -> bool:
    """starts-with(a, b): whether a begins with b."""
    return to_string(a).startswith(to_string(b))


@xfn("ends-with", 2)
def f_ends_with(fr: Frame, a: Any, b: Any) -> bool:
    """ends-with(a, b): whether a ends with b."""
    return to_string(a).endswith(to_string(b))


@xfn("substring-before", 2)
def f_substring_before(fr: Frame, a: Any, b: Any) -> str:
    """substring-before(a, b): the part of a before the first b ('' if absent)."""
    s, t = to_string(a), to_string(b)
    i = s.find(t)
    return s[:i] if i >= 0 else ""


@xfn("substring-after", 2)
def f_substring_after(fr: Frame, a: Any, b: Any) -> str:
    """substring-after(a, b): the part of a after the first b ('' if absent)."""
    s, t = to_string(a), to_string(b)
    i = s.find(t)
    return s[i + len(t):] if i >= 0 else ""


def _substr_index(x: float, n: int) -> int:
    """A substr() index as JavaRosa reads it: truncated (NaN is 0), negative counts from the end, clipped."""
    i = 0 if x != x else int(max(-1e10, min(1e10, x)))
    if i < 0:
        i += n
    return max(0, min(n, i))


@xfn("substr", 2, 3)
def f_substr(fr: Frame, a: Any, start: Any, end: Any = None) -> str:
    """ODK substr(string, start[, end]): 0-based, end exclusive; negative indices count from the end."""
    s = to_string(a)
    n = len(s)
    bi = _substr_index(to_number(start, fr.c.tz), n)
    ei = n if end is None else _substr_index(to_number(end, fr.c.tz), n)
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
    """string-length([s]): number of characters (context node without an argument)."""
    return float(len(fr.node.text if v is None else to_string(v)))


@xfn("normalize-space", 0, 1)
def f_normalize_space(fr: Frame, v: Any = None) -> str:
    """normalize-space([s]): trim and collapse runs of whitespace."""
    return " ".join((fr.node.text if v is None else to_string(v)).split())


@xfn("translate", 3)
def f_translate(fr: Frame, a: Any, b: Any, c: Any) -> str:
    """translate(s, from, to): map characters of from to to, deleting those without a partner."""
    src, frm, to = to_string(a), to_string(b), to_string(c)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):
        if ord(ch) not in table:
            table[ord(ch)] = ord(to[i]) if i < len(to) else None
    return src.translate(table)


# -- booleans ----------------------------------------------------------------
@xfn("boolean", 1)
def f_boolean(fr: Frame, v: Any) -> bool:
    """boolean(x): XPath truthiness."""
    return to_boolean(v)


@xfn("boolean-from-string", 1)
def f_boolean_from_string(fr: Frame, v: Any) -> bool:
    """boolean-from-string(s): true only for 'true' (any case) or '1'."""
    text = to_string(v).strip()
    return text == "1" or text.lower() == "true"


@xfn("not", 1)
def f_not(fr: Frame, v: Any) -> bool:
    """not(x): logical negation of boolean(x)."""
    return not to_boolean(v)


@xfn("true", 0)
def f_true(fr: Frame) -> bool:
    """true(): the boolean true."""
    return True


@xfn("false", 0)
def f_false(fr: Frame) -> bool:
    """false(): the boolean false."""
    return False


# -- node-sets and aggregates --------------------------------------------------
@xfn("count", 1)
def f_count(fr: Frame, v: Any) -> float:
    """count(nodes): number of nodes."""
    return float(len(_nodes(v, "count")))


@xfn("count-non-empty", 1)
def f_count_non_empty(fr: Frame, v: Any) -> float:
    """count-non-empty(nodes): number of nodes whose value is not empty."""
    return float(sum(1 for n in _nodes(v, "count-non-empty") if n.text != ""))


@xfn("sum", 1)
def f_sum(fr: Frame, v: Any) -> float:
    """sum(nodes): total of the nodes' numeric values, skipping non-numbers (JavaRosa)."""
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
    """max(nodes or values...): largest number; NaN if empty or any value is not a number."""
    nums = _numbers(fr, vals)
    if not nums or any(x != x for x in nums):
        return NAN
    return max(nums)


@xfn("min", 1, None)
def f_min(fr: Frame, *vals: Any) -> float:
    """min(nodes or values...): smallest number; NaN if empty or any value is not a number."""
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
    """last(): size of the node list a predicate is filtering."""
    return float(fr.size or 1)


@xfn("name", 0, 1)
def f_name(fr: Frame, v: Any = None) -> str:
    """name([nodes]): element name of the first node (context node without an argument)."""
    if v is None:
        return fr.node.name
    nodes = _nodes(v, "name")
    return str(nodes[0].name) if nodes else ""


@xfn("local-name", 0, 1)
def f_local_name(fr: Frame, v: Any = None) -> str:
    """local-name([nodes]): name() without any namespace prefix."""
    return f_name(fr, v).split(":")[-1]


@xfn("current", 0)
def f_current(fr: Frame) -> NodeSet:
    """current(): the node the whole expression is evaluated for, even inside predicates."""
    return NodeSet([fr.c.node])
