"""Request and response schemas for accounts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    """Credentials for a session token."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(Schema):
    """A freshly issued token."""

    access_token = fields.String(required=True)
    token_type = fields.Constant("Bearer")
    expires_at = fields.DateTime(required=True)


class UnitRefSchema(Schema):
    """An admin unit, briefly."""

    code = fields.String()
    name = fields.String()
    level = fields.String()


class MeSchema(Schema):
    """The caller."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    scope = fields.List(fields.Nested(UnitRefSchema), attribute="scope_units")
