"""Schemas for reading the audit trail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas import ReplySchema

# One line of text: no control characters (PostgreSQL refuses NUL in text).
_PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="control characters are not allowed")


def _text(max_length: int) -> list[validate.Validator]:
    return [validate.Length(min=1, max=max_length), _PRINTABLE]


class AuditArgsSchema(Schema):
    """Filters (all optional, combined with AND) and keyset paging."""

    actor = fields.String(validate=_text(64), metadata={"description": "username"})
    action = fields.String(validate=_text(64),
                           metadata={"description": "exact action, or a prefix ending in * (registry.*)"})
    target_type = fields.String(validate=_text(64))
    target = fields.String(validate=_text(64), metadata={
        "description": "target id: the event's target, or among the records a list or export revealed"})
    since = fields.AwareDateTime(metadata={"description": "inclusive, ISO 8601 with offset"})
    until = fields.AwareDateTime(metadata={"description": "exclusive, ISO 8601 with offset"})
    full_reads = fields.Boolean(metadata={"description": "only reads that showed sensitive values unmasked"})
    cursor = fields.String(validate=_text(64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class AuditEventSchema(ReplySchema):
    """One audited action."""

    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True, metadata={"description": "the actor's username"})
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    detail = fields.Dict()
    request_id = fields.String(allow_none=True)


class AuditPageSchema(ReplySchema):
    """A page of events, newest first."""

    items = fields.List(fields.Nested(AuditEventSchema))
    next_cursor = fields.String(allow_none=True)
