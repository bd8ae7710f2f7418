"""Webhooks API: register, list, stop; dead letters and replay."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, app_settings, request_now
from server.db import get_session
from server.webhooks import service
from server.webhooks.schemas import (
    DeliveryArgsSchema,
    DeliveryPageSchema,
    ReplayedSchema,
    SubscriptionCreatedSchema,
    SubscriptionCreateSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
)

blp = Blueprint("webhooks", __name__, url_prefix=API_PREFIX, description="数据共享：推送 (webhooks)")


@blp.route("/webhooks")
class Webhooks(BaseView):
    """A department's endpoints."""

    @blp.response(200, SubscriptionListSchema)
    def get(self) -> dict[str, Any]:
        """The caller's subscriptions (admins: every one) with their deliveries per status."""
        session = get_session()
        return {"items": service.view(session, service.list_subscriptions(session, current_user()))}

    @blp.arguments(SubscriptionCreateSchema)
    @blp.response(201, SubscriptionCreatedSchema)
    def post(self, data: service.SubscriptionIn) -> dict[str, Any]:
        """Register an HTTPS endpoint for the caller's feed (admins: name the department account); the secret
        is in this answer only."""
        session = get_session()
        row, secret = service.create_subscription(session, app_settings(), current_user(), data, request_now())
        return {**service.view(session, [row])[0], "secret": secret}


@blp.route("/webhooks/<int:subscription_id>")
class WebhookDetail(BaseView):
    """One subscription."""

    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id: int) -> dict[str, Any]:
        """The subscription and its deliveries per status."""
        session = get_session()
        return service.view(session, [service.get_subscription(session, current_user(), subscription_id)])[0]

    @blp.response(204)
    def delete(self, subscription_id: int) -> None:
        """Stop pushing to the endpoint; what was pending becomes dead letters."""
        service.stop_subscription(get_session(), current_user(), subscription_id)


@blp.route("/webhooks/<int:subscription_id>/deliveries")
class Deliveries(BaseView):
    """A subscription's deliveries."""

    @blp.arguments(DeliveryArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    def get(self, args: dict[str, Any], subscription_id: int) -> dict[str, Any]:
        """Newest first; ``status=dead`` lists the dead letters."""
        return service.list_deliveries(get_session(), current_user(), subscription_id, args.get("status"),
                                       args.get("cursor"))


@blp.route("/webhooks/<int:subscription_id>/replay")
class Replay(BaseView):
    """Send every dead letter again."""

    @blp.response(200, ReplayedSchema)
    def post(self, subscription_id: int) -> dict[str, int]:
        """Queue the subscription's dead letters again, oldest first, ahead of newer events."""
        return {"replayed": service.replay(get_session(), app_settings(), current_user(), subscription_id, None)}


@blp.route("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/replay")
class ReplayOne(BaseView):
    """Send one dead letter again."""

    @blp.response(200, ReplayedSchema)
    def post(self, subscription_id: int, delivery_id: int) -> dict[str, int]:
        """Queue one dead letter again, ahead of newer events."""
        return {"replayed": service.replay(get_session(), app_settings(), current_user(), subscription_id,
                                           delivery_id)}
