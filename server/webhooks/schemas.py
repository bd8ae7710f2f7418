"""Webhook request and response bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from server.schemas import ReplySchema
from server.webhooks.service import SubscriptionIn


class SubscriptionCreateSchema(Schema):
    """An endpoint to register."""

    url = fields.String(required=True, validate=validate.Length(1, 500),
                        metadata={"description": "https://… on a public address"})
    description = fields.String(load_default="", validate=validate.Length(0, 200))
    account = fields.String(metadata={"description": "admins: the department account it is for"})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> SubscriptionIn:
        return SubscriptionIn(data["url"], data.get("description", ""), data.get("account"))


class CountsSchema(ReplySchema):
    """Deliveries per status."""

    pending = fields.Integer()
    delivered = fields.Integer()
    dead = fields.Integer()


class SubscriptionSchema(ReplySchema):
    """A subscription (its secret is shown only when it is created)."""

    id = fields.Integer()
    url = fields.String()
    description = fields.String()
    account = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    counts = fields.Nested(CountsSchema)


class SubscriptionCreatedSchema(SubscriptionSchema):
    """A new subscription with its secret, shown this once."""

    secret = fields.String(metadata={"description": "the HMAC-SHA256 key of the Gridreg-Signature header"})


class SubscriptionListSchema(ReplySchema):
    """The caller's subscriptions."""

    items = fields.List(fields.Nested(SubscriptionSchema))


class DeliveryArgsSchema(Schema):
    """Which deliveries to list."""

    status = fields.String(metadata={"description": "pending | delivered | dead (dead letters)"})
    cursor = fields.String()


class DeliverySchema(ReplySchema):
    """One event's delivery (the body itself is not shown: the feed has it)."""

    id = fields.Integer()
    event_cursor = fields.String()
    dataset = fields.String()
    kind = fields.String()
    entity_uuid = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(ReplySchema):
    """A page of deliveries, newest first."""

    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)


class ReplayedSchema(ReplySchema):
    """How many dead letters were queued again."""

    replayed = fields.Integer()
