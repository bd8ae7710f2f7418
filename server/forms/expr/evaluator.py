"""``evaluate``: run a parsed (or parse-on-demand, cached) expression in a context."""

from __future__ import annotations

from typing import Any

from .compiler import evaluate_compiled
from .context import EvalContext
from .parser import Expr, parse


def evaluate(expr: Expr | str, ctx: EvalContext) -> Any:
    """Evaluate to a str, float, bool or NodeSet; raises ExprError (or a subclass) on failure."""
    e = parse(expr) if isinstance(expr, str) else expr
    return evaluate_compiled(e.fn, ctx)
