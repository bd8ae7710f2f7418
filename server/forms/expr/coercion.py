"""XPath 1.0 value coercions and comparisons, with ODK's date extension.

Values are Python ``str``, ``float``, ``bool`` or ``NodeSet``. Following ODK,
strings shaped like dates ('YYYY-MM-DD') or dateTimes convert to days since
1970-01-01 when used as numbers, so ``${dob} < today()`` and ``today() - ${dob}``
behave as form designers expect. As in JavaRosa, a dateTime counts as the whole
local day it falls on, and ``=`` / ``!=`` between two date or dateTime strings
compares those days, so a date and a dateTime agree whenever ``<=`` and ``>=``
both hold.
"""

from __future__ import annotations

import math
import re
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from .dates import DEFAULT_TZ, string_to_days
from .document import NodeSet

Value = Any  # str | float | bool | NodeSet

_NUMBER_RE = re.compile(r"\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*\Z")
NAN = float("nan")


def number_to_string(x: float) -> str:
    """Format a number as JavaRosa does: 3.0 -> '3', NaN -> 'NaN', no exponent notation."""
    if x != x:
        return "NaN"
    if x == math.inf:
        return "Infinity"
    if x == -math.inf:
        return "-Infinity"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


_NUMBER_CACHE: dict[tuple[str, tzinfo], float] = {}


def string_to_number(s: str, tz: tzinfo = DEFAULT_TZ) -> float:
    """XPath number(string), extended so date and dateTime strings become (fractional) days."""
    key = (s, tz)
    hit = _NUMBER_CACHE.get(key)
    if hit is not None:
        return hit
    m = _NUMBER_RE.match(s)
    if m is not None:
        value = float(m.group(1))
    else:
        days = string_to_days(s, tz)
        value = NAN if days is None else days
    if len(s) <= 40:  # answers repeat a lot across submissions; keep the memo small and bounded
        if len(_NUMBER_CACHE) >= 20000:
            _NUMBER_CACHE.clear()
        _NUMBER_CACHE[key] = value
    return value


def same_text(a: str, b: str, tz: tzinfo = DEFAULT_TZ) -> bool:
    """String equality, except that two date/dateTime strings are equal when they fall on the same local day."""
    if a == b:
        return True
    left = string_to_days(a, tz)
    if left is None:
        return False
    return left == string_to_days(b, tz)


def to_string(v: Value) -> str:
    """XPath string(): nodesets give the first node's string-value ('' if empty)."""
    if v.__class__ is str:
        return v
    if v.__class__ is float:
        return number_to_string(v)
    if v.__class__ is bool:
        return "true" if v else "false"
    if isinstance(v, NodeSet):
        return v[0].text if v else ""
    if isinstance(v, int):
        return str(v)
    raise TypeError(f"not an XPath value: {v!r}")


def to_number(v: Value, tz: tzinfo = DEFAULT_TZ) -> float:
    """XPath number(): '' and non-numeric strings are NaN; true is 1; dates are days."""
    if v.__class__ is float:
        return v
    if v.__class__ is str:
        return string_to_number(v, tz)
    if v.__class__ is bool:
        return 1.0 if v else 0.0
    if isinstance(v, NodeSet):
        return string_to_number(v[0].text, tz) if v else NAN
    if isinstance(v, int):
        return float(v)
    raise TypeError(f"not an XPath value: {v!r}")


def to_boolean(v: Value) -> bool:
    """XPath boolean(): non-empty strings and nodesets, non-zero non-NaN numbers are true."""
    if v.__class__ is bool:
        return v
    if v.__class__ is str:
        return v != ""
    if v.__class__ is float:
        return not (v == 0 or v != v)
    if isinstance(v, NodeSet):
        return len(v) > 0
    if isinstance(v, int):
        return v != 0
    raise TypeError(f"not an XPath value: {v!r}")


def type_name(v: Value) -> str:
    """The XPath type of a value: string, number, boolean or nodeset."""
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, NodeSet):
        return "nodeset"
    return "string"


def _cmp_numbers(op: str, a: float, b: float) -> bool:
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _cmp_atoms(op: str, a: Value, b: Value, tz: tzinfo) -> bool:
    """Compare two non-nodeset values under XPath 1.0 section 3.4 rules."""
    if op in ("=", "!="):
        if a.__class__ is bool or b.__class__ is bool:
            eq = to_boolean(a) == to_boolean(b)
        elif a.__class__ is float or b.__class__ is float:
            eq = to_number(a, tz) == to_number(b, tz)
        else:
            eq = same_text(to_string(a), to_string(b), tz)
        return eq if op == "=" else not eq
    return _cmp_numbers(op, to_number(a, tz), to_number(b, tz))


def compare(op: str, a: Value, b: Value, tz: tzinfo = DEFAULT_TZ) -> bool:
    """Evaluate a = != < <= > >= b with XPath 1.0 coercions (existential over nodesets)."""
    a_ns = isinstance(a, NodeSet)
    b_ns = isinstance(b, NodeSet)
    if a_ns and b.__class__ is float and len(a) == 1:  # the common "${field} op number" case
        return _cmp_numbers(op, string_to_number(a[0].text, tz), b)
    if not a_ns and not b_ns:
        return _cmp_atoms(op, a, b, tz)
    if a_ns and b_ns:
        if op in ("=", "!="):
            texts = {n.text for n in b}
            if op == "=":
                return any(n.text in texts for n in a) or any(
                    same_text(n.text, t, tz) for n in a for t in texts)
            return any(not same_text(n.text, t, tz) for n in a for t in texts)
        rnums = [string_to_number(n.text, tz) for n in b]
        return any(_cmp_numbers(op, string_to_number(n.text, tz), r) for n in a for r in rnums)
    if b_ns:  # put the nodeset on the left, mirroring relational operators
        return compare(_MIRROR[op], b, a, tz)
    if b.__class__ is bool:
        left = to_boolean(a)
        if op in ("=", "!="):
            return (left == b) if op == "=" else (left != b)
        return _cmp_numbers(op, 1.0 if left else 0.0, 1.0 if b else 0.0)
    if b.__class__ is float or op not in ("=", "!="):
        number = to_number(b, tz)
        return any(_cmp_numbers(op, string_to_number(n.text, tz), number) for n in a)
    right_s = to_string(b)
    if op == "=":
        return any(same_text(n.text, right_s, tz) for n in a)
    return any(not same_text(n.text, right_s, tz) for n in a)


_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
