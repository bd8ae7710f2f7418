"""Compile AST nodes into Python closures ``f(frame) -> value``.

Parsing and compiling happen once per expression text (``parse`` is cached);
evaluating a compiled expression is then a chain of plain function calls with
no tree walking or type dispatch on AST classes, which is what lets one core
validate thousands of submissions per second.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .coercion import compare, string_to_number, to_boolean, to_number
from .context import Frame, RootFrame
from .document import Node, NodeSet
from .errors import ArityError, ExprError, ExprTypeError, UnknownFunctionError
from .functions import FUNCTIONS
from .nodes import BinOp, Call, Filter, Neg, Num, Path, Ref, Step, Str
from .nodes import Node as Ast

Fn = Callable[[Frame], Any]
_NAN = float("nan")


def compile_node(node: Ast) -> Fn:
    """Compile one AST node (recursively) to a closure."""
    if isinstance(node, Num):
        num = node.value
        return lambda fr: num
    if isinstance(node, Str):
        text = node.value
        return lambda fr: text
    if isinstance(node, Ref):
        name = node.name
        if node.last_saved:  # the device's last saved submission: not known here, as on a first fill
            return lambda fr: NodeSet([])
        return lambda fr: fr.c.resolve_ref(name)
    if isinstance(node, BinOp):
        return _compile_binop(node)
    if isinstance(node, Neg):
        inner = compile_node(node.operand)
        return lambda fr: -to_number(inner(fr), fr.c.tz)
    if isinstance(node, Call):
        return _compile_call(node)
    if isinstance(node, Filter):
        base = compile_node(node.base)
        preds = [_compile_predicate(p) for p in node.predicates]

        def filtered(fr: Frame) -> NodeSet:
            nodes = _need_nodes(base(fr), "a predicate")
            for pred in preds:
                nodes = pred(fr, nodes)
            return NodeSet(nodes)

        return filtered
    if isinstance(node, Path):
        return _compile_path(node)
    raise TypeError(f"unknown AST node {node!r}")


def _need_nodes(value: Any, where: str) -> list[Node]:
    if isinstance(value, NodeSet):
        return value
    raise ExprTypeError(f"{where} needs a node-set, got {type(value).__name__} {value!r}")


# -- operators -------------------------------------------------------------
def _compile_binop(node: BinOp) -> Fn:
    op = node.op
    left = compile_node(node.left)
    right = compile_node(node.right)
    if op == "or":
        return lambda fr: to_boolean(left(fr)) or to_boolean(right(fr))
    if op == "and":
        return lambda fr: to_boolean(left(fr)) and to_boolean(right(fr))
    if op in ("=", "!=", "<", "<=", ">", ">="):
        if isinstance(node.right, Num):
            return _compile_compare_literal(op, left, node.right.value)
        return lambda fr: compare(op, left(fr), right(fr), fr.c.tz)
    if op == "|":
        def union(fr: Frame) -> NodeSet:
            a = _need_nodes(left(fr), "'|'")
            b = _need_nodes(right(fr), "'|'")
            return union_nodes(a, b)
        return union
    arith = _ARITH[op]

    def arithmetic(fr: Frame) -> float:
        tz = fr.c.tz
        return arith(to_number(left(fr), tz), to_number(right(fr), tz))

    return arithmetic


_CMP: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _compile_compare_literal(op: str, left: Fn, number: float) -> Fn:
    """``${field} > 18``: skip the generic coercion dispatch for the commonest constraint shape."""
    cmp = _CMP[op]

    def compare_literal(fr: Frame) -> bool:
        a = left(fr)
        if a.__class__ is NodeSet and len(a) == 1:
            return cmp(string_to_number(a[0].text, fr.c.tz), number)
        return compare(op, a, number, fr.c.tz)

    return compare_literal


def union_nodes(a: list[Node], b: list[Node]) -> NodeSet:
    """Union of two node lists in document order without duplicates."""
    seen: set[int] = set()
    out: list[Node] = []
    for n in (*a, *b):
        if id(n) not in seen:
            seen.add(id(n))
            out.append(n)
    out.sort(key=lambda n: n.order)
    return NodeSet(out)


def _div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return _NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or a != a or b != b or math.isinf(a):
        return _NAN
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _mul(a: float, b: float) -> float:
    return a * b


_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": _mul,
    "div": _div,
    "mod": _mod,
}


# -- function calls --------------------------------------------------------
def _compile_call(node: Call) -> Fn:
    spec = FUNCTIONS.get(node.name)
    if spec is None:
        def unknown(fr: Frame) -> Any:
            raise UnknownFunctionError(f"unknown function {node.name}()")
        return unknown
    problem = spec.arity_problem(len(node.args))
    if problem is not None:
        def bad_arity(fr: Frame) -> Any:
            raise ArityError(problem)
        return bad_arity
    args = [compile_node(a) for a in node.args]
    if spec.special is not None:
        return spec.special(node.args, args)
    impl = spec.impl
    if spec.lazy:
        return lambda fr: impl(fr, *args)
    if not args:
        return lambda fr: impl(fr)
    if len(args) == 1:
        a0 = args[0]
        return lambda fr: impl(fr, a0(fr))
    if len(args) == 2:
        a0, a1 = args
        return lambda fr: impl(fr, a0(fr), a1(fr))
    return lambda fr: impl(fr, *[a(fr) for a in args])


# -- paths -----------------------------------------------------------------
Pred = Callable[[Frame, list[Node]], list[Node]]


def _compile_predicate(pred: Ast) -> Pred:
    if isinstance(pred, Num):
        want = pred.value

        def by_index(fr: Frame, nodes: list[Node]) -> list[Node]:
            if not 1 <= want <= len(nodes):
                return []
            i = int(want)
            return [nodes[i - 1]] if i == want else []

        return by_index
    test = compile_node(pred)

    def by_test(fr: Frame, nodes: list[Node]) -> list[Node]:
        size = len(nodes)
        out: list[Node] = []
        c = fr.c
        for i, n in enumerate(nodes):
            v = test(Frame(c, n, i + 1, size))
            if v.__class__ is float:
                if v == i + 1:
                    out.append(n)
            elif to_boolean(v):
                out.append(n)
        return out

    return by_test


def _name_ok(node: Node, name: str) -> bool:
    return name in ("*", "node()") or node.name == name


def _axis(node: Node, step: Step) -> list[Node]:
    axis, name = step.axis, step.name
    if axis == "child":
        if name in ("*", "node()"):
            return node.children
        if name == "text()":
            return [] if isinstance(node.raw, Mapping) else [node]
        return node.named(name)
    if axis == "self":
        return [node] if _name_ok(node, name) else []
    if axis == "parent":
        p = node.parent
        return [p] if p is not None and _name_ok(p, name) else []
    if axis in ("descendant", "descendant-or-self"):
        found = [d for d in node.descendants() if _name_ok(d, name)]
        if axis == "descendant-or-self" and _name_ok(node, name):
            found.insert(0, node)
        return found
    if axis in ("ancestor", "ancestor-or-self"):
        chain: list[Node] = []
        cur: Node | None = node if axis == "ancestor-or-self" else node.parent
        while cur is not None:
            if _name_ok(cur, name):
                chain.append(cur)
            cur = cur.parent
        return chain[::-1]
    return []  # attribute axis: instances carry no attributes here


def _compile_step(step: Step) -> Callable[[Frame, list[Node]], list[Node]]:
    preds = [_compile_predicate(p) for p in step.predicates]
    distinct_axis = step.axis in ("child", "self", "attribute")

    def apply(fr: Frame, nodes: list[Node]) -> list[Node]:
        if len(nodes) == 1:
            out = _axis(nodes[0], step)
            for pred in preds:
                out = pred(fr, out)
            return out
        out = []
        for node in nodes:
            found = _axis(node, step)
            for pred in preds:
                found = pred(fr, found)
            out.extend(found)
        if not distinct_axis and len(out) > 1:
            return union_nodes(out, [])
        return out

    return apply


def _compile_path(node: Path) -> Fn:
    steps = node.steps
    if node.absolute and steps and all(s.axis == "child" and s.name not in ("*", "node()", "text()")
                                       for s in steps):
        return _compile_absolute_names(steps)
    compiled = [_compile_step(s) for s in steps]
    base = compile_node(node.base) if node.base is not None else None
    absolute = node.absolute

    def path(fr: Frame) -> NodeSet:
        if base is not None:
            nodes: list[Node] = _need_nodes(base(fr), "a path step")
        elif absolute:
            nodes = [fr.c.document]
        else:
            nodes = [fr.node]
        for step in compiled:
            if not nodes:
                break
            nodes = step(fr, nodes)
        return nodes if isinstance(nodes, NodeSet) else NodeSet(nodes)

    return path


def _compile_absolute_names(steps: tuple[Step, ...]) -> Fn:
    """/data/group/field: bind unpredicated repeat steps to the context's instance, as JavaRosa does."""
    names = tuple(s.name for s in steps)
    preds = [[_compile_predicate(p) for p in s.predicates] for s in steps]
    plain = not any(s.predicates for s in steps)

    def absolute(fr: Frame) -> NodeSet:
        c = fr.c
        indices = c.contextual_indices(names)
        if plain:
            return c.resolve_names(names, indices)
        nodes: list[Node] = [c.document]
        for depth, name in enumerate(names):
            idx = indices[depth] if not preds[depth] else 0
            nxt: list[Node] = []
            for n in nodes:
                found = n.named(name)
                if idx:
                    found = [found[idx - 1]] if idx <= len(found) else []
                for pred in preds[depth]:
                    found = pred(fr, found)
                nxt.extend(found)
            nodes = nxt
            if not nodes:
                break
        return NodeSet(nodes)

    return absolute


def evaluate_compiled(fn: Fn, c: Any) -> Any:
    """Run a compiled closure against an EvalContext, normalising ints to floats."""
    try:
        value = fn(RootFrame(c))
    except ExprError:
        raise
    except RecursionError as exc:
        raise ExprError("expression nested too deeply") from exc
    if value.__class__ is int:
        return float(value)
    return value
