"""Server-side submission validator: re-evaluates every rule of a compiled form on submitted data.

A form is turned once into a ``FormPlan`` (parsed expressions, choice sets,
choice-filter indexes), cached by ``(form_id, version, digest)`` (``digest``
is the compiled definition's content hash; a hand-built definition without one
is keyed by form_id and version alone). Validating
a submission then walks the data beside the plan with one ``EvalContext`` that
is re-pointed per field (``ctx.at(path)``); nothing is parsed per submission.

Rules, in ODK's order: a field inside a non-relevant group or repeat, or whose
own ``relevant`` is false, must be empty (``value.not_relevant``) and is not
checked further; a relevant calculated field that was submitted must equal the
recomputed value (``value.calculation_mismatch``; calculations that use now(),
today(), random(), uuid(), once(), instance() or pulldata(), directly or through
other calculations, are skipped); an empty relevant field must not be required
(``value.required``); a non-empty one must have the right type, a known and
offered choice, its attachment, a valid resident ID number when marked
``datatype: cn_resident_id``, and must satisfy its constraint. Repeats with
``repeat_count`` must have that many entries. Keys the form does not declare are
``value.unknown_field`` (keys starting with '@' carry XML attributes and are
ignored, as is everything under the root's ``meta`` group).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.domain import resident_id
from server.forms.compiled import CompiledForm
from server.forms.expr import EvalContext, ExprError, evaluate, to_boolean, to_number, to_string
from server.forms.expr.document import xml_text
from server.forms.plan import FieldPlan, FormPlan, plan_for
from server.forms.validator_types import (
    ValidationIssue,
    message,
    numbers_equal,
    type_detail,
    type_ok,
)

__all__ = ["ValidationIssue", "check_submission"]

_ABSENT: Any = object()
_NOT_REQUIRED_TYPES = frozenset({"calculate", "note", "hidden"})
Clock = Callable[[], datetime]


def check_submission(form: CompiledForm | Mapping[str, Any], data: Mapping[str, Any], *,
                     attachments: Collection[str] = (), tz: str = "Asia/Shanghai",
                     clock: Clock | None = None, lang: str | None = None) -> list[ValidationIssue]:
    """Every problem with a submission's data (``{"data": {...}}`` or the root's content) against a form."""
    definition = form.definition if isinstance(form, CompiledForm) else form
    plan = plan_for(definition)
    if lang is None:
        lang = "en" if plan.default_language.startswith("en") else "zh"
    return _Run(plan, attachments, tz, clock, lang).run(data)


class _Run:
    """One validation: the plan, the submission's context and the issues found so far."""

    def __init__(self, plan: FormPlan, attachments: Collection[str], tz: str, clock: Clock | None,
                 lang: str) -> None:
        self.plan = plan
        self.attachments = attachments
        self.tz = tz
        self.clock = clock
        self.lang = lang
        self.issues: list[ValidationIssue] = []
        self.ctx: EvalContext | None = None
        self._today: date | None = None

    def run(self, data: Mapping[str, Any]) -> list[ValidationIssue]:
        plan = self.plan
        root = plan.root
        body: Any = data
        if isinstance(data, Mapping) and len(data) == 1 and root in data:
            body = data[root]
        prefix = "/" + root
        if not isinstance(body, Mapping):
            self.add(prefix, "value.type", message("value.type", self.lang, detail=type_detail("group", self.lang)))
            return self.issues
        self.ctx = EvalContext(data={root: body}, refs=plan.refs, root=root, tz=self.tz, clock=self.clock,
                               choices=plan.choice_labels, field_lists=plan.field_lists, repeats=plan.repeats,
                               instances=plan.instances or None)
        self.walk(plan.children, body, prefix, True, False)
        return self.issues

    def add(self, path: str, code: str, text: str) -> None:
        self.issues.append(ValidationIssue(path, code, text))

    def evaluate_at(self, expr: Any, path: str) -> Any:
        assert self.ctx is not None
        return evaluate(expr, self.ctx.at(path))

    def is_relevant(self, fp: FieldPlan, path: str) -> bool:
        if fp.relevant is None:
            return True
        try:
            return to_boolean(self.evaluate_at(fp.relevant, path))
        except ExprError:
            return True

    # -- tree ----------------------------------------------------------------
    def walk(self, plans: Mapping[str, FieldPlan], data: Mapping[str, Any], prefix: str, relevant: bool,
             in_meta: bool) -> None:
        for name, fp in plans.items():
            path = prefix + "/" + name
            raw = data.get(name, _ABSENT)
            if fp.kind == "leaf":
                self.leaf(fp, raw, path, relevant)
            elif fp.kind == "group":
                if raw is _ABSENT or raw is None or raw == "":
                    raw = {}
                elif not isinstance(raw, dict) and not isinstance(raw, Mapping):
                    self.add(path, "value.type", message("value.type", self.lang,
                                                         detail=type_detail("group", self.lang)))
                    continue
                self.walk(fp.children, raw, path, relevant and self.is_relevant(fp, path), fp.is_meta)
            else:
                self.repeat(fp, raw, path, relevant)
        if not in_meta:
            for key in data:
                if key not in plans and not str(key).startswith("@"):
                    self.add(prefix + "/" + str(key), "value.unknown_field",
                             message("value.unknown_field", self.lang))

    def repeat(self, fp: FieldPlan, raw: Any, path: str, relevant: bool) -> None:
        if raw is _ABSENT or raw is None or raw == "":
            items: list[Any] = []
        elif isinstance(raw, Mapping):
            items = [raw]
        elif isinstance(raw, list) and all(isinstance(item, Mapping) for item in raw):
            items = raw
        else:
            self.add(path, "value.type", message("value.type", self.lang, detail=type_detail("repeat", self.lang)))
            return
        if relevant and fp.repeat_count is not None:
            parent = path.rsplit("/", 1)[0]
            try:
                expected = to_number(self.evaluate_at(fp.repeat_count, parent))
            except ExprError:
                expected = float("nan")
            if expected == expected and expected >= 0 and int(expected) != len(items):
                self.add(path, "value.repeat_count",
                         message("value.repeat_count", self.lang, expected=int(expected), actual=len(items)))
        for i, item in enumerate(items, 1):
            item_path = f"{path}[{i}]"
            self.walk(fp.children, item, item_path, relevant and self.is_relevant(fp, item_path), False)

    # -- leaves --------------------------------------------------------------
    def leaf(self, fp: FieldPlan, raw: Any, path: str, parent_relevant: bool) -> None:
        present = True
        if raw.__class__ is str:
            text = raw
        elif raw is _ABSENT or raw is None:
            text, present = "", raw is not _ABSENT
        elif isinstance(raw, Mapping) or (isinstance(raw, list) and any(isinstance(x, (Mapping, list)) for x in raw)):
            self.add(path, "value.type", message("value.type", self.lang, detail=type_detail("leaf", self.lang)))
            return
        else:
            text = xml_text(raw)
        stripped = text.strip()
        ctx = self.ctx if fp.context_free else None
        if parent_relevant and fp.relevant is not None:
            ctx = ctx or self.at(path)
            try:
                parent_relevant = to_boolean(evaluate(fp.relevant, ctx))
            except ExprError:
                pass
        if not parent_relevant:
            if stripped:
                self.add(path, "value.not_relevant", message("value.not_relevant", self.lang))
            return
        if fp.calculation is not None and present:
            ctx = ctx or self.at(path)
            self.check_calculation(fp, text, ctx, path)
        if not stripped:
            if fp.required is not False and fp.type not in _NOT_REQUIRED_TYPES and self.is_required(fp, path):
                self.add(path, "value.required", fp.required_message.get(self.lang)
                         or message("value.required", self.lang))
            return
        if fp.check_type and not type_ok(fp.type, stripped, fp.parameters):
            self.add(path, "value.type", message("value.type", self.lang, detail=type_detail(fp.type, self.lang)))
            return
        if fp.choices is not None and not self.check_choices(fp, stripped, ctx, path):
            return
        if fp.repeat_choices is not None and not self.check_repeat_choices(fp, stripped, ctx, path):
            return
        if fp.attachment and stripped not in self.attachments:
            self.add(path, "value.attachment_missing", message("value.attachment_missing", self.lang, value=stripped))
        if fp.resident_id:
            self.check_resident_id(stripped, path)
        if fp.constraint is not None:
            try:
                ok = to_boolean(evaluate(fp.constraint, ctx or self.at(path)))
            except ExprError as exc:
                self.add(path, "value.constraint", message("value.expression_error", self.lang, detail=exc.message))
                return
            if not ok:
                self.add(path, "value.constraint", fp.constraint_message.get(self.lang)
                         or message("value.constraint", self.lang))

    def at(self, path: str) -> EvalContext:
        assert self.ctx is not None
        return self.ctx.at(path)

    def is_required(self, fp: FieldPlan, path: str) -> bool:
        if fp.required is True:
            return True
        try:
            return to_boolean(self.evaluate_at(fp.required, path))
        except ExprError:
            return False

    def check_calculation(self, fp: FieldPlan, text: str, ctx: EvalContext, path: str) -> None:
        assert fp.calculation is not None
        try:
            expected = to_string(evaluate(fp.calculation, ctx))
        except ExprError:
            return
        if text != expected and text.strip() != expected and not numbers_equal(text.strip(), expected):
            self.add(path, "value.calculation_mismatch",
                     message("value.calculation_mismatch", self.lang, expected=expected))

    def check_choices(self, fp: FieldPlan, text: str, ctx: EvalContext | None, path: str) -> bool:
        assert fp.choices is not None
        tokens = text.split() if fp.multiple else [text]
        unknown = [t for t in tokens if t not in fp.choices]
        if unknown:
            self.add(path, "value.choice_unknown", message("value.choice_unknown", self.lang, value=" ".join(unknown)))
            return False
        if fp.choice_filter is not None:
            offered = fp.choice_filter.offered(ctx or self.at(path), tokens)
            hidden = [t for t in tokens if t not in offered]
            if hidden:
                self.add(path, "value.choice_filtered",
                         message("value.choice_filtered", self.lang, value=" ".join(hidden)))
                return False
        return True

    def check_repeat_choices(self, fp: FieldPlan, text: str, ctx: EvalContext | None, path: str) -> bool:
        assert fp.repeat_choices is not None
        tokens = text.split() if fp.multiple else [text]
        found = fp.repeat_choices.check(ctx or self.at(path), tokens)
        if found is None:
            return True
        unknown, hidden = found
        for code, values in (("value.choice_unknown", unknown), ("value.choice_filtered", hidden)):
            if values:
                self.add(path, code, message(code, self.lang, value=" ".join(values)))
                return False
        return True

    def check_resident_id(self, text: str, path: str) -> None:
        # check_county only adds a warning (a retired county code), and warnings are not issues
        for found in resident_id.errors(resident_id.validate(text, today=self.today(), check_county=False)):
            self.add(path, "value.resident_id." + found.code.removeprefix("id."), found.message(self.lang))

    def today(self) -> date:
        if self._today is None:
            now = self.clock() if self.clock is not None else datetime.now(UTC)
            if now.tzinfo is None:
                now = now.replace(tzinfo=ZoneInfo(self.tz))
            self._today = now.astimezone(ZoneInfo(self.tz)).date()
        return self._today
