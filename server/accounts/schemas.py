"""Request and response schemas for accounts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas import ReplySchema


class TokenRequestSchema(Schema):
    """Credentials for a session token."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenSchema(ReplySchema):
    """A freshly issued token."""

    access_token = fields.String(required=True)
    token_type = fields.Constant("Bearer")
    expires_at = fields.DateTime(required=True)


class UnitRefSchema(ReplySchema):
    """An admin unit, briefly."""

    code = fields.String()
    name = fields.String()
    level = fields.String()


class MeSchema(ReplySchema):
    """The caller."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    scope = fields.List(fields.Nested(UnitRefSchema), attribute="scope_units")


class UserSchema(ReplySchema):
    """A user as admins see it."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = fields.DateTime()
    units = fields.List(fields.Nested(UnitRefSchema), attribute="scope_units")


ROLES = ("admin", "form_designer", "supervisor", "grid_worker", "department")
# One line of text: no control characters (PostgreSQL refuses NUL in text).
_PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="control characters are not allowed")


def _text(max_length: int) -> list[validate.Validator]:
    return [validate.Length(min=1, max=max_length), _PRINTABLE]


_UNITS = fields.List(fields.String(validate=_text(32)), validate=validate.Length(max=100),
                     metadata={"description": "admin unit codes whose subtrees the user works in"})


class UserArgsSchema(Schema):
    """Filters of the user list (all optional, combined with AND)."""

    q = fields.String(validate=_text(64), metadata={"description": "part of the username or display name"})
    role = fields.String(validate=validate.OneOf(ROLES))
    department = fields.String(validate=_text(64))
    unit = fields.String(validate=_text(32), metadata={"description": "users scoped to this admin unit"})
    is_active = fields.Boolean()


class UserCreateSchema(Schema):
    """A new user."""

    username = fields.String(required=True, validate=_text(64))
    password = fields.String(required=True, validate=validate.Length(min=8, max=256), load_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(validate=_text(100))
    department = fields.String(validate=_text(64))
    units = _UNITS


class UserUpdateSchema(Schema):
    """Changes to a user; every field is optional."""

    role = fields.String(validate=validate.OneOf(ROLES))
    display_name = fields.String(validate=_text(100))
    department = fields.String(allow_none=True, validate=_text(64))
    is_active = fields.Boolean()
    units = _UNITS


class PasswordResetSchema(Schema):
    """A new password; leave it out to have one generated (shown once)."""

    password = fields.String(validate=validate.Length(min=8, max=256), load_only=True)


class PasswordResetResultSchema(ReplySchema):
    """The generated password, shown once (null when the admin chose it)."""

    password = fields.String(allow_none=True)


class ApiTokenCreateSchema(Schema):
    """What a department system's token is for."""

    label = fields.String(required=True, validate=_text(100))


class ApiTokenSchema(ReplySchema):
    """A long-lived token, without its secret."""

    id = fields.Integer()
    label = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class IssuedApiTokenSchema(TokenSchema):
    """A new long-lived token: the secret is shown this once."""


class PurposeSchema(ReplySchema):
    """What a department's duty lets its accounts read."""

    label_zh = fields.String()
    datasets = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                           metadata={"description": "dataset -> the properties it may read"})
    cases = fields.Boolean(metadata={"description": "whether it reads cases (followups) at all"})


class DepartmentSchema(ReplySchema):
    """A department of forms/departments.yaml and its purpose (null: it reads nothing)."""

    code = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    purpose = fields.Nested(PurposeSchema, allow_none=True)
