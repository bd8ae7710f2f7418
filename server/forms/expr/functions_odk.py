"""ODK-specific functions: selects, choice labels, control flow, repeats, regex, geo, ids, digests.

These are the XForms-spec additions that XLSForm designers use most
(selected(), jr:choice-name(), indexed-repeat(), once(), area()...).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
import secrets
import string
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from . import geo
from .coercion import to_boolean, to_number, to_string
from .context import EvalContext, Frame
from .document import NodeSet
from .errors import ExprError, ExprTypeError
from .functions_core import flatten
from .nodes import Path, Ref
from .registry import special, xfn

# -- select_one / select_multiple --------------------------------------------


@xfn("selected", 2)
def f_selected(fr: Frame, values: Any, choice: Any) -> bool:
    """selected(list, value): whether value is one of the space-separated choices."""
    return to_string(choice).strip() in to_string(values).split()


@xfn("count-selected", 1)
def f_count_selected(fr: Frame, values: Any) -> float:
    """count-selected(list): number of space-separated choices."""
    return float(len(to_string(values).split()))


@xfn("selected-at", 2)
def f_selected_at(fr: Frame, values: Any, index: Any) -> str:
    """selected-at(list, i): the 0-based i-th choice ('' when out of range)."""
    items = to_string(values).split()
    i = to_number(index, fr.c.tz)
    if i != i or math.isinf(i):
        return ""
    k = int(i)  # truncated, as JavaRosa's toInt
    return items[k] if 0 <= k < len(items) else ""


@xfn("jr:choice-name", 2)
def f_choice_name(fr: Frame, value: Any, field: Any) -> str:
    """jr:choice-name(value, 'field'): the choice label of value in field's list."""
    ref = to_string(field).strip()
    if ref.startswith("${") and ref.endswith("}"):
        name: str | None = ref[2:-1].strip()
    elif ref.startswith("/"):
        name = fr.c.name_for_path(ref) or ref.rstrip("/").rsplit("/", 1)[-1]
    else:
        name = ref.rsplit("/", 1)[-1]
    return fr.c.choice_label(name or "", to_string(value).strip())


# -- checklists (JavaRosa's reading of the spec) -------------------------------
def _java_int(x: float) -> int:
    """Java's (int) cast of a double: truncated, NaN is 0, saturating."""
    return 0 if x != x else int(max(-2147483648.0, min(2147483647.0, x)))


def _truth(v: Any) -> bool:
    """Whether one checklist item counts: a node's value (or any other value) under XPath boolean()."""
    return to_boolean(to_string(v) if isinstance(v, NodeSet) else v)


@xfn("checklist", 2, None)
def f_checklist(fr: Frame, low: Any, high: Any, *items: Any) -> bool:
    """checklist(min, max, v...): whether the number of true items is within [min, max]; -1 means no bound."""
    lo = _java_int(to_number(low, fr.c.tz))
    hi = _java_int(to_number(high, fr.c.tz))
    count = 0
    for item in items:
        if isinstance(item, NodeSet):  # one item per node
            count += sum(1 for n in item if n.text != "")
        elif to_boolean(item):
            count += 1
    return (lo < 0 or count >= lo) and (hi < 0 or count <= hi)


@xfn("weighted-checklist", 2, None, step=2)
def f_weighted_checklist(fr: Frame, low: Any, high: Any, *pairs: Any) -> bool:
    """weighted-checklist(min, max, v, w, ...): whether the summed weights of true items are within [min, max]."""
    tz = fr.c.tz
    total = 0.0
    for i in range(0, len(pairs), 2):
        flags, weights = pairs[i], pairs[i + 1]
        if isinstance(flags, NodeSet) and isinstance(weights, NodeSet):  # node by node
            if len(flags) != len(weights):
                raise ExprTypeError("weighted-checklist(): paired node-sets differ in length "
                                    f"({len(flags)} and {len(weights)})")
            total += sum(to_number(w.text, tz) for f, w in zip(flags, weights, strict=True) if f.text != "")
        elif _truth(flags):
            total += to_number(weights, tz)
    return to_number(low, tz) <= total <= to_number(high, tz)


# -- control flow ------------------------------------------------------------
@xfn("if", 3, lazy=True)
def f_if(fr: Frame, cond: Callable[[Frame], Any], then: Callable[[Frame], Any],
         other: Callable[[Frame], Any]) -> Any:
    """if(cond, a, b): a when cond is true, else b; only the chosen branch is evaluated."""
    return then(fr) if to_boolean(cond(fr)) else other(fr)


@xfn("coalesce", 2)
def f_coalesce(fr: Frame, a: Any, b: Any) -> str:
    """coalesce(a, b): a's value unless empty, else b's."""
    first = to_string(a)
    return first if first != "" else to_string(b)


@xfn("once", 1, lazy=True)
def f_once(fr: Frame, value: Callable[[Frame], Any]) -> Any:
    """once(x): keep the field's current value if it has one, else compute x."""
    current = fr.c.node.text
    return current if current != "" else value(fr)


@xfn("instance", 1)
def f_instance(fr: Frame, instance_id: Any) -> NodeSet:
    """instance('id'): the secondary instance's document; empty when the context lacks it."""
    doc = fr.c.instance_document(to_string(instance_id))
    return NodeSet() if doc is None else NodeSet([doc])


@xfn("pulldata", 4)
def f_pulldata(fr: Frame, instance_id: Any, wanted: Any, key: Any, query: Any) -> str:
    """pulldata(id, wanted, key, query): shortcut for instance(id)/root/item[key=query]/wanted."""
    doc = fr.c.instance_document(to_string(instance_id))
    if doc is None:
        return ""
    field, column, target = to_string(wanted), to_string(key), to_string(query)
    for root in doc.named("root"):
        for item in root.named("item"):
            if any(k.text == target for k in item.named(column)):
                found = item.named(field)
                return found[0].text if found else ""
    return ""


# -- strings -------------------------------------------------------------------
@lru_cache(maxsize=1024)
def compiled_regex(pattern: str) -> re.Pattern[str]:
    """Compile a regex once per process."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ExprError(f"invalid regular expression {pattern!r}: {exc}") from None


@xfn("regex", 2)
def f_regex(fr: Frame, value: Any, pattern: Any) -> bool:
    """regex(s, pattern): whether pattern matches anywhere in s."""
    return compiled_regex(to_string(pattern)).search(to_string(value)) is not None


# -- ids and randomness --------------------------------------------------------
_ALNUM = string.ascii_letters + string.digits


@xfn("uuid", 0, 1)
def f_uuid(fr: Frame, length: Any = None) -> str:
    """uuid([n]): a random RFC 4122 v4 UUID, or n random letters and digits."""
    if length is None:
        return str(uuid.uuid4())
    n = to_number(length, fr.c.tz)
    if n != n or n < 0 or n > 10_000:
        raise ExprTypeError("uuid() length must be a number from 0 to 10000")
    return "".join(secrets.choice(_ALNUM) for _ in range(int(n)))


@xfn("random", 0)
def f_random(fr: Frame) -> float:
    """random(): a uniform number in [0, 1)."""
    return random.random()


_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


@xfn("digest", 2, 3)
def f_digest(fr: Frame, message: Any, algorithm: Any, encoding: Any = "base64") -> str:
    """digest(s, algorithm[, 'base64'|'hex']): MD5/SHA-1/SHA-256/SHA-384/SHA-512 of s's UTF-8 bytes."""
    alg = _DIGESTS.get(to_string(algorithm).strip().upper())
    if alg is None:
        raise ExprError(f"digest(): unsupported algorithm {to_string(algorithm)!r}")
    raw = hashlib.new(alg, to_string(message).encode("utf-8")).digest()
    enc = to_string(encoding).strip().lower()
    if enc == "hex":
        return raw.hex()
    if enc == "base64":
        return base64.b64encode(raw).decode("ascii")
    raise ExprError(f"digest(): unsupported encoding {to_string(encoding)!r}")


# -- geo -----------------------------------------------------------------------
def _points(vals: tuple[Any, ...]) -> list[tuple[float, float]]:
    try:
        return geo.parse_points(flatten(vals))
    except geo.GeoError as exc:
        raise ExprTypeError(str(exc)) from None


@xfn("enclosed-area", 1)
@xfn("area", 1)
def f_area(fr: Frame, shape: Any) -> float:
    """area(shape) and enclosed-area(shape) (the spec's name): enclosed area in square metres of a geoshape."""
    return geo.polygon_area(_points((shape,)))


@xfn("distance", 1, None)
def f_distance(fr: Frame, *vals: Any) -> float:
    """distance(trace or points...): length in metres along the points."""
    return geo.path_length(_points(vals))


@xfn("geofence", 2)
def f_geofence(fr: Frame, point: Any, shape: Any) -> bool:
    """geofence(point, shape): whether the geopoint lies inside the geoshape."""
    text = to_string(point).strip()
    if text == "":
        return False
    pts = _points((text,))
    return geo.point_in_polygon(pts[0], _points((shape,)))


# -- repeats -------------------------------------------------------------------
def _static_names(arg: Any) -> Callable[[EvalContext], tuple[str, ...]]:
    """Absolute element names of a ${ref} or simple absolute path argument."""
    if isinstance(arg, Ref):
        name = arg.name
        return lambda c: c.ref_path(name)
    if isinstance(arg, Path) and arg.absolute and arg.base is None and all(
            s.axis == "child" and not s.predicates and s.name not in ("*", "node()") for s in arg.steps):
        names = tuple(s.name for s in arg.steps)
        return lambda c: names

    def bad(c: EvalContext) -> tuple[str, ...]:
        raise ExprTypeError("indexed-repeat() needs ${name} references or absolute paths")

    return bad


@special("indexed-repeat", 3, 7, step=2)
def build_indexed_repeat(asts: tuple[Any, ...], args: list[Callable[[Any], Any]]) -> Callable[[Frame], Any]:
    """indexed-repeat(field, repeat1, index1[, repeat2, index2[, repeat3, index3]])."""
    target = _static_names(asts[0])
    pairs = [(_static_names(asts[i]), args[i + 1]) for i in range(1, len(asts), 2)]

    def indexed_repeat(fr: Frame) -> NodeSet:
        c = fr.c
        names = target(c)
        indices = c.contextual_indices(names)
        for repeat_names, index in pairs:
            rnames = repeat_names(c)
            if names[: len(rnames)] != rnames or len(rnames) >= len(names):
                raise ExprTypeError(f"indexed-repeat(): {'/'.join(rnames)} is not a repeat containing "
                                    f"{'/'.join(names)}")
            i = to_number(index(fr), c.tz)
            # JavaRosa truncates the index and treats <= 0 (e.g. an unanswered count) as 1
            n = int(i) if i == i and not math.isinf(i) else 0
            indices[len(rnames) - 1] = max(1, n)
        return c.resolve_names(names, indices, virtual=True)

    return indexed_repeat


