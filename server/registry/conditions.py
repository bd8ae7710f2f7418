"""The entities block's expressions, evaluated by the server on the stored submission.

An XLSForm ``entities`` sheet row holds XPath expressions: ``entity_id``,
``label``, ``create_if`` and ``update_if``. pyxform writes them as
calculations of ``meta/entity``'s attributes, which the device evaluates; the
server does not take the device's word for them (it re-evaluates every rule,
DESIGN.md), so the merge evaluates the same expressions here with the form
engine the validator uses (``server.forms.expr``), against the submission's
data and the compiled form's references.

What the row means (pyxform's table, and ODK Central's reading):

=========  =========  =========  ==========================================
entity_id  create_if  update_if  action
=========  =========  =========  ==========================================
no         no         no         always create
no         yes        no         create when create_if holds
yes        no         no         always update
yes        no         yes        update when update_if holds
yes        yes        yes        update when update_if holds and the record
                                 exists, else create when create_if holds
=========  =========  =========  ==========================================

A condition holds when its value, as a string, is ``1`` or ``true`` — the
attribute value Collect writes and Central reads — so a boolean expression
(``${existing} = ''``) works, and a bare yes/no answer does not (write
``${x} = 'yes'``). When no action holds, the submission merges without
touching the dataset, and the merge result says which condition was false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.errors import RuleViolation
from server.forms.expr import EvalContext, ExprError, evaluate, to_string
from server.forms.plan import plan_for

TRUE_VALUES = frozenset({"1", "true"})


@dataclass(frozen=True)
class Decision:
    """What an entities block may do with this submission, and why not when it may do nothing."""

    create: bool
    update: bool
    reason: str | None = None  # create_if_false | update_if_false | create_if_and_update_if_false


class BlockExpressions:
    """Evaluates one entities block's expressions against one submission."""

    def __init__(self, block: Mapping[str, Any], data: Mapping[str, Any], form: Mapping[str, Any] | None) -> None:
        self.block = block
        self._data = data
        self._form = form
        self._ctx: EvalContext | None = None

    @property
    def ctx(self) -> EvalContext:
        """The submission's evaluation context (built on first use)."""
        if self._ctx is None:
            self._ctx = _context(self.block, self._data, self._form)
        return self._ctx

    def value(self, column: str) -> str | None:
        """A column's expression evaluated as a string; None when the column is empty."""
        expr = self.block.get(column)
        if not isinstance(expr, str) or not expr.strip():
            return None
        try:
            return to_string(evaluate(expr.strip(), self.ctx)).strip()
        except ExprError as exc:
            raise RuleViolation(
                f"the entities {column} expression cannot be evaluated: {exc.message}",
                code="registry.entity_expression",
                message_zh=f"实体表 {column} 表达式无法计算",
                errors={column: [exc.message]},
            ) from exc

    def holds(self, column: str) -> bool:
        """True when the column's condition holds (ODK's reading: "1" or "true")."""
        return (self.value(column) or "").lower() in TRUE_VALUES

    def decide(self) -> Decision:
        """Create, update, both (update if it exists) or neither, by the table in the module docstring."""
        has_id = bool(self.block.get("entity_id"))
        may_create = not has_id or bool(self.block.get("create_if"))
        create = may_create and (not self.block.get("create_if") or self.holds("create_if"))
        update = has_id and (not self.block.get("update_if") or self.holds("update_if"))
        if create or update:
            return Decision(create, update)
        if not has_id:
            return Decision(False, False, "create_if_false")
        return Decision(False, False, "update_if_false" if not may_create else "create_if_and_update_if_false")


def _context(block: Mapping[str, Any], data: Mapping[str, Any], form: Mapping[str, Any] | None) -> EvalContext:
    """The context the validator would build; without a compiled form, references come from the data."""
    if form and form.get("fields"):
        plan = plan_for(form)
        return EvalContext(data=data, refs=plan.refs, root=plan.root, choices=plan.choice_labels,
                           field_lists=plan.field_lists, repeats=plan.repeats, instances=plan.instances or None)
    root = _root_of(block, data)
    body = data[root] if len(data) == 1 and isinstance(data.get(root), Mapping) else data
    refs: dict[str, str] = {}
    repeats: list[str] = []
    _walk(body, "/" + root, refs, repeats)
    return EvalContext(data={root: body}, refs=refs, root=root, repeats=repeats)


def _root_of(block: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    for path in (block.get("save_to") or {}):
        parts = [p for p in str(path).split("/") if p]
        if str(path).startswith("/") and len(parts) > 1:
            return parts[0]
    if len(data) == 1 and isinstance(next(iter(data.values())), Mapping):
        return str(next(iter(data)))
    return "data"


def _walk(node: Mapping[str, Any], prefix: str, refs: dict[str, str], repeats: list[str]) -> None:
    for key, value in node.items():
        name = str(key)
        if name.startswith("@"):
            continue
        path = f"{prefix}/{name}"
        refs.setdefault(name, path)
        if isinstance(value, Mapping):
            _walk(value, path, refs, repeats)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            repeats.append(path)
            for item in value:
                _walk(item, path, refs, repeats)
