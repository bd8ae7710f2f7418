"""Per-form validation plans: parsed expressions, choice sets and choice-filter indexes, cached.

A plan is built once per ``(form_id, version, digest)`` — the digest being the
compiled definition's content hash, so a re-uploaded draft with an unchanged
version number gets a fresh plan — and shared by every submission of that form
version. Choice filters of the usual cascade shape
(``province=${origin_province}``, conjunctions of ``column = ${ref}`` or
``column = 'text'``) are answered from a precomputed column index; any other
filter is evaluated over the list as a secondary instance
(``instance('list')/root/item[filter]``), as ODK Collect does. A
``select_one ${question}`` offers the answers given to a question in a repeat:
its plan evaluates the itemset pyxform writes (``repeat_itemset``). Rules that
read ``${last-saved#name}`` depend on the device's previous submission and are
left out.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.forms.expr import EvalContext, Expr, ExprError, NodeSet, evaluate, parse, to_string
from server.forms.expr.nodes import BinOp, Path, Ref, Str, walk
from server.forms.validator_types import ATTACHMENT_TYPES, CHECKS

# Calculations that cannot be recomputed later to the same value.
VOLATILE_FUNCTIONS = frozenset({"now", "today", "random", "uuid", "once", "instance", "pulldata", "randomize"})
_CONTEXT_FUNCTIONS = frozenset({"current", "position", "once"})
_PLAN_CACHE_SIZE = 64
_REF_RE = re.compile(r"\$\{\s*([^\W\d][\w.\-]*)\s*\}")
_PLANS: OrderedDict[tuple[str, str, str], FormPlan] = OrderedDict()


@dataclass(frozen=True)
class ChoiceFilter:
    """How to find which choices a filtered select offers at one place in a submission."""

    list_name: str
    terms: tuple[tuple[str, Expr | None, str], ...] = ()  # (column, ${ref} expr or None, literal)
    index: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column -> choice -> value
    general: Expr | None = None  # instance('list')/root/item[filter]/name

    def offered(self, ctx: EvalContext, tokens: Sequence[str]) -> set[str]:
        """The subset of the chosen tokens that the filter offers in this context."""
        if self.general is not None:
            try:
                result = evaluate(self.general, ctx)
            except ExprError:
                return set(tokens)
            return {n.text for n in result} if isinstance(result, NodeSet) else set()
        ok = set(tokens)
        for column, ref, literal in self.terms:
            if ref is not None:
                try:
                    value = evaluate(ref, ctx)
                except ExprError:
                    return set(tokens)
                allowed = {n.text for n in value} if isinstance(value, NodeSet) else {to_string(value)}
            else:
                allowed = {literal}
            values = self.index.get(column, {})
            ok = {t for t in ok if values.get(t, "") in allowed}
        return ok


@dataclass(frozen=True)
class RepeatChoices:
    """select_* ${question}: the answers given so far to a question in a repeat (pyxform's itemset)."""

    answers: Expr  # every non-empty answer
    offered: Expr | None = None  # the answers the choice_filter keeps

    def check(self, ctx: EvalContext, tokens: Sequence[str]) -> tuple[list[str], list[str]] | None:
        """(unknown, filtered-out) tokens, or None when the answers cannot be evaluated."""
        try:
            answers = nodes_text(evaluate(self.answers, ctx))
            offered = nodes_text(evaluate(self.offered, ctx)) if self.offered is not None else answers
        except ExprError:
            return None
        unknown = [t for t in tokens if t not in answers]
        return unknown, [t for t in tokens if t in answers and t not in offered]


def repeat_itemset(question: str, repeats: Sequence[str], refs: Mapping[str, str],
                   choice_filter: str | None) -> tuple[str, str | None]:
    """Expressions (all answers, filtered answers) of ``select_* ${question}``, as pyxform writes the itemset.

    The nodeset is the question's repeat, ``[./question != '']`` or ``[choice_filter]`` with the
    filter's references to the repeat's own questions made relative to each entry.
    """
    repeat = max((r for r in repeats if question.startswith(r + "/")), key=len, default=question.rsplit("/", 1)[0])
    rel = question[len(repeat) + 1:]
    repeat_name = repeat.rsplit("/", 1)[-1]
    base = "${" + repeat_name + "}" if refs.get(repeat_name) == repeat else repeat
    answers = f"{base}[./{rel} != '']/{rel}"
    if not choice_filter:
        return answers, None

    def relative(match: re.Match[str]) -> str:
        path = refs.get(match.group(1), "")
        return " ./" + path[len(repeat) + 1:] + " " if path.startswith(repeat + "/") else match.group(0)

    return answers, f"{base}[{_REF_RE.sub(relative, choice_filter)}]/{rel}"


def nodes_text(value: Any) -> set[str]:
    """String values of an expression result (every node of a node-set)."""
    if isinstance(value, NodeSet):
        return {n.text for n in value}
    return {to_string(value)}


@dataclass
class FieldPlan:
    """One field (or group/repeat) with its expressions parsed."""

    name: str
    path: str
    type: str
    kind: str  # leaf, group, repeat
    relevant: Expr | None = None
    required: bool | Expr = False
    constraint: Expr | None = None
    calculation: Expr | None = None
    repeat_count: Expr | None = None
    choices: frozenset[str] | None = None
    multiple: bool = False
    choice_filter: ChoiceFilter | None = None
    repeat_choices: RepeatChoices | None = None
    resident_id: bool = False
    parameters: Mapping[str, str] = field(default_factory=dict)
    required_message: Mapping[str, str] = field(default_factory=dict)
    constraint_message: Mapping[str, str] = field(default_factory=dict)
    is_meta: bool = False
    context_free: bool = False  # its expressions never read the context node: share the root context
    check_type: bool = False
    attachment: bool = False
    children: dict[str, FieldPlan] = field(default_factory=dict)


@dataclass
class FormPlan:
    """Everything the validator needs about one form version."""

    root: str
    default_language: str
    refs: Mapping[str, str]
    repeats: tuple[str, ...]
    children: dict[str, FieldPlan]
    choice_labels: Mapping[str, Mapping[str, Any]]
    field_lists: Mapping[str, str]
    instances: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def plan_for(definition: Mapping[str, Any]) -> FormPlan:
    """The cached plan of a compiled definition, keyed by (form_id, version, digest)."""
    key = (str(definition.get("form_id")), str(definition.get("version")), str(definition.get("digest", "")))
    plan = _PLANS.get(key)
    if plan is None:
        plan = build_plan(definition)
        _PLANS[key] = plan
        while len(_PLANS) > _PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
    return plan


def clear_plans() -> None:
    """Forget every cached plan (tests, or after a definition was replaced)."""
    _PLANS.clear()


def _messages(value: Any, default_language: str) -> dict[str, str]:
    if not value:
        return {}
    out = dict(value)
    if default_language in out:
        for lang in ("zh", "en"):
            out.setdefault(lang, out[default_language])
    return out


def _label_text(label: Any, default_language: str) -> str:
    if isinstance(label, Mapping):
        return str(label.get(default_language) or next(iter(label.values()), ""))
    return str(label or "")


class _PlanBuilder:
    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.d = definition
        self.lang = str(definition.get("default_language") or "default")
        self.choices: Mapping[str, list[Mapping[str, Any]]] = definition.get("choices") or {}
        self.instances: dict[str, list[dict[str, str]]] = {}
        self.calcs: dict[str, FieldPlan] = {}
        self.calc_refs: dict[str, frozenset[str]] = {}
        self.in_repeat = False

    def fields(self, fields: Sequence[Mapping[str, Any]], depth: int) -> dict[str, FieldPlan]:
        return {str(f["name"]): self.field(f, depth) for f in fields}

    def field(self, f: Mapping[str, Any], depth: int) -> FieldPlan:
        ftype = str(f["type"])
        kind = ftype if ftype in ("group", "repeat") else "leaf"
        required = f.get("required") or False
        fp = FieldPlan(
            name=str(f["name"]), path=str(f["path"]), type=ftype, kind=kind,
            relevant=_server_expr(f.get("relevant")),
            required=required if isinstance(required, bool) else _server_expr(required) or False,
            constraint=_server_expr(f.get("constraint")),
            repeat_count=_expr(f.get("repeat_count")),
            resident_id=f.get("datatype") == "cn_resident_id",
            parameters=dict(f.get("parameters") or {}),
            required_message=_messages(f.get("required_message"), self.lang),
            constraint_message=_messages(f.get("constraint_message"), self.lang),
            is_meta=depth == 0 and fp_name(f) == "meta" and kind == "group",
        )
        fp.check_type = ftype in CHECKS
        fp.attachment = ftype in ATTACHMENT_TYPES
        calculation = _expr(f.get("calculation"))
        if calculation is not None:
            fp.calculation = calculation
            self.calcs[fp.path] = fp  # by path: names repeat across groups
            self.calc_refs[fp.path] = calculation.refs
        list_name = f.get("list_name")
        if ftype in ("select_one", "select_multiple", "rank") and list_name in self.choices:
            items = self.choices[str(list_name)]
            fp.choices = frozenset(str(c["name"]) for c in items)
            fp.multiple = ftype != "select_one"
            if f.get("choice_filter"):
                fp.choice_filter = self.choice_filter(str(list_name), str(f["choice_filter"]), items)
        elif ftype in ("select_one", "select_multiple", "rank") and f.get("choices_from"):
            answers, offered = repeat_itemset(str(f["choices_from"]), self.d.get("repeats") or (),
                                              self.d.get("refs") or {}, f.get("choice_filter"))
            fp.repeat_choices = RepeatChoices(parse(answers), _expr(offered))
            fp.multiple = ftype != "select_one"
        fp.context_free = kind == "leaf" and not self.in_repeat and _context_free(
            [e for e in (fp.relevant, fp.constraint, fp.calculation, fp.required) if isinstance(e, Expr)])
        if kind != "leaf":
            outer = self.in_repeat
            self.in_repeat = outer or kind == "repeat"
            fp.children = self.fields(f.get("children") or [], depth + 1)
            self.in_repeat = outer
        return fp

    def choice_filter(self, list_name: str, text: str, items: list[Mapping[str, Any]]) -> ChoiceFilter:
        terms = _simple_terms(parse(text).ast)
        if terms is not None:
            index = {column: {str(c["name"]): _label_text(c.get(column), self.lang) for c in items}
                     for column, _, _ in terms}
            compiled = tuple((column, parse("${" + ref + "}") if ref else None, literal)
                             for column, ref, literal in terms)
            return ChoiceFilter(list_name, terms=compiled, index=index)
        if list_name not in self.instances:
            self.instances[list_name] = [
                {**{str(k): _label_text(v, self.lang) for k, v in c.items() if k != "media"}} for c in items
            ]
        return ChoiceFilter(list_name, general=parse(f"instance('{list_name}')/root/item[{text}]/name"))

    def skip_volatile(self) -> None:
        """Drop calculations that cannot be recomputed, directly or through other calculations.

        A ``${last-saved#name}`` reads the device's previous submission, which the server never sees.
        """
        volatile = {path for path, fp in self.calcs.items() if fp.calculation is not None
                    and (fp.calculation.functions & VOLATILE_FUNCTIONS or reads_last_saved(fp.calculation))}
        refs_map: Mapping[str, str] = self.d.get("refs") or {}
        ref_paths = {path: {refs_map.get(name) for name in refs} for path, refs in self.calc_refs.items()}
        changed = True
        while changed:
            changed = False
            for path, refs in ref_paths.items():
                if path not in volatile and refs & volatile:
                    volatile.add(path)
                    changed = True
        for path in volatile:
            self.calcs[path].calculation = None


def reads_last_saved(expr: Expr) -> bool:
    """True when an expression uses ${last-saved#name}."""
    return any(isinstance(node, Ref) and node.last_saved for node in walk(expr.ast))


def fp_name(f: Mapping[str, Any]) -> str:
    """A field's name."""
    return str(f.get("name"))


def _context_free(exprs: Sequence[Expr]) -> bool:
    """True when no expression uses a relative path, current(), position() or once()."""
    for expr in exprs:
        if expr.functions & _CONTEXT_FUNCTIONS:
            return False
        if any(isinstance(node, Path) and not node.absolute for node in walk(expr.ast)):
            return False
    return True


def _expr(text: Any) -> Expr | None:
    return parse(str(text)) if text not in (None, "") else None


def _server_expr(text: Any) -> Expr | None:
    """A rule the server can check: one reading ${last-saved#name} depends on the device and is left out."""
    expr = _expr(text)
    return None if expr is None or reads_last_saved(expr) else expr


def _simple_terms(node: Any) -> list[tuple[str, str | None, str]] | None:
    """Conjunctions of `column = ${ref}` / `column = 'text'` as (column, ref, literal), else None."""
    if isinstance(node, BinOp) and node.op == "and":
        left, right = _simple_terms(node.left), _simple_terms(node.right)
        return None if left is None or right is None else left + right
    if not (isinstance(node, BinOp) and node.op == "="):
        return None
    for col, other in ((node.left, node.right), (node.right, node.left)):
        if (isinstance(col, Path) and not col.absolute and col.base is None and len(col.steps) == 1
                and col.steps[0].axis == "child" and not col.steps[0].predicates
                and col.steps[0].name not in ("*", "node()", "text()")):
            if isinstance(other, Ref):
                return [(col.steps[0].name, other.name, "")]
            if isinstance(other, Str):
                return [(col.steps[0].name, None, other.value)]
    return None


def build_plan(definition: Mapping[str, Any]) -> FormPlan:
    """Build the validation plan of a compiled definition (uncached)."""
    builder = _PlanBuilder(definition)
    children = builder.fields(definition.get("fields") or [], 0)
    builder.skip_volatile()
    lang = builder.lang
    choice_labels = {name: {str(c["name"]): c.get("label") for c in items} for name, items in builder.choices.items()}
    field_lists = {}
    refs = definition.get("refs") or {}
    for fp_def in _iter(definition.get("fields") or []):
        if fp_def.get("list_name") and refs.get(fp_def["name"]) == fp_def["path"]:  # a repeated name names none
            field_lists[str(fp_def["name"])] = str(fp_def["list_name"])
    return FormPlan(
        root=str(definition.get("root") or "data"),
        default_language=lang,
        refs=dict(definition.get("refs") or {}),
        repeats=tuple(definition.get("repeats") or ()),
        children=children,
        choice_labels=choice_labels,
        field_lists=field_lists,
        instances=builder.instances,
    )


def _iter(fields: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for f in fields:
        out.append(f)
        out.extend(_iter(f.get("children") or []))
    return out
