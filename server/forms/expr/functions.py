"""The complete XPath/ODK function table and helpers for checking calls at upload time."""

from __future__ import annotations

from . import functions_core, functions_math, functions_odk, functions_time  # noqa: F401  (register them)
from .nodes import Call, walk
from .parser import Expr, parse
from .registry import FUNCTIONS, FuncSpec

KNOWN_FUNCTIONS: frozenset[str] = frozenset(FUNCTIONS)


def check_functions(expr: Expr | str) -> list[str]:
    """Names of functions the expression calls that the engine does not know (sorted)."""
    e = parse(expr) if isinstance(expr, str) else expr
    return sorted(name for name in e.functions if name not in FUNCTIONS)


def check_calls(expr: Expr | str) -> list[str]:
    """Human-readable problems with the expression's calls: unknown names and wrong arity."""
    e = parse(expr) if isinstance(expr, str) else expr
    problems: list[str] = []
    for node in walk(e.ast):
        if isinstance(node, Call):
            spec = FUNCTIONS.get(node.name)
            if spec is None:
                problems.append(f"unknown function {node.name}() at position {node.pos}")
            else:
                msg = spec.arity_problem(len(node.args))
                if msg:
                    problems.append(f"{msg} at position {node.pos}")
    return problems


__all__ = ["FUNCTIONS", "KNOWN_FUNCTIONS", "FuncSpec", "check_calls", "check_functions"]
