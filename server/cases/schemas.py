"""Schemas for the cases API: filters and bodies in, cases out."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.domain.cases import CaseStatus
from server.schemas import ReplySchema, Verbatim

KINDS = ("appeal", "dispute", "relief", "need")
STATUSES = tuple(s.value for s in CaseStatus)
ORDERS = ("newest", "overdue_first")


class CaseQueryArgsSchema(Schema):
    """Filters for the case list; every one is optional."""

    department = fields.String(metadata={"description": "department code (forms/departments.yaml)"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: only unfinished cases past their due date"})
    grid = fields.String(metadata={"description": "grid code"})
    person = fields.String(metadata={"description": "uuid of the person the cases are about"})
    order = fields.String(load_default="newest", validate=validate.OneOf(ORDERS),
                          metadata={"description": "newest first, or overdue cases first (then newest)"})
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class CaseCreateSchema(Schema):
    """A case opened by hand."""

    person = fields.String(required=True, metadata={"description": "uuid of the person (persons dataset)"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    department = fields.String(required=True, validate=validate.Length(1, 64))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    notes = fields.String(load_default=None, validate=validate.Length(max=4000))
    due_date = fields.Date(load_default=None, metadata={"description": "default: opened date + the kind's days"})
    assignee = fields.String(load_default=None, validate=validate.Length(max=100))


class CaseUpdateSchema(Schema):
    """A change to a case: status, assignee, description, and an action note for the record."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    assignee = fields.String(allow_none=True, validate=validate.Length(max=100))
    notes = fields.String(validate=validate.Length(max=4000), metadata={"description": "the case's description"})
    note = fields.String(validate=validate.Length(1, 2000), metadata={"description": "an action record"})
    resolution = fields.String(validate=validate.Length(max=4000))

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("say what changes", field_name="_schema")


class CaseSchema(ReplySchema):
    """A case as listed; the detail adds its action records."""

    uuid = fields.String()
    title = fields.String()
    person = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    department_label = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    opened_date = fields.String(allow_none=True)
    due_date = fields.String(allow_none=True)
    resolved_date = fields.String(allow_none=True)
    closed_date = fields.String(allow_none=True)
    overdue = fields.Boolean()
    grid_code = fields.String(allow_none=True)
    version = fields.Integer()
    etag = fields.String()
    updated_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    properties = fields.Dict()


class ActionSchema(ReplySchema):
    """One action record: what was done to the case, by whom, when."""

    at = fields.String(allow_none=True, metadata={"format": "date-time"})
    kind = fields.String(metadata={"description": "the registry event: created, updated…"})
    action = fields.String(metadata={"description": "opened, status, assigned, note… (the event's kind if none)"})
    actor_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    from_ = fields.Raw(attribute="from", data_key="from", allow_none=True,
                       metadata={"description": "the value before a change"})
    to = fields.Raw(allow_none=True, metadata={"description": "the value after a change"})
    note = fields.String(allow_none=True)
    changed = fields.List(fields.String())
    source_type = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)


class CaseDetailSchema(CaseSchema):
    """A case with its action records (status changes, assignments, notes), oldest first."""

    actions = fields.List(Verbatim(ActionSchema), metadata={"description": "shaped by cases.service"})


class CasePageSchema(ReplySchema):
    """A page of cases."""

    items = fields.List(fields.Nested(CaseSchema))
    next_cursor = fields.String(allow_none=True)


class CodeSchema(ReplySchema):
    """One entry of a code list."""

    code = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    due_days = fields.Integer(metadata={"optional": True, "description": "case kinds only: days to resolve one"})


class CaseCodesSchema(ReplySchema):
    """The departments a case may be routed to and the kinds of case (forms/departments.yaml)."""

    departments = fields.List(fields.Nested(CodeSchema))
    kinds = fields.List(fields.Nested(CodeSchema))
