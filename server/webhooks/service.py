"""Webhook subscriptions: register (the secret shown once), list, stop, dead letters and replay.

A subscription belongs to one department account and receives exactly what
that account's change feed shows (server/exports/feed.py, the same purpose
and the same event bodies). A department registers its own; an admin may
register one for a department account. Other roles answer 403; another
department's subscription answers 404 as a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.audit.service import record
from server.errors import AppError, NotFoundError, PermissionDeniedError
from server.paging import decode_cursor, encode_cursor
from server.sealing.crypto import Sealer
from server.settings import Settings
from server.webhooks.addresses import check_url
from server.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from server.webhooks.signing import new_secret

QUEUE = "webhooks"
SECRET_CONTEXT = "webhook.secret"
PAGE = 50


@dataclass(frozen=True)
class SubscriptionIn:
    """What a caller registers."""

    url: str
    description: str
    account: str | None  # admins: the department account it is for


def _require_role(user: User) -> None:
    if user.role not in (Role.ADMIN.value, Role.DEPARTMENT.value):
        raise PermissionDeniedError("only department accounts and admins manage webhooks", code="webhook.forbidden",
                                    message_zh="仅部门账号和管理员可管理推送")


def _not_found(subscription_id: object) -> NotFoundError:
    return NotFoundError(f"no webhook {subscription_id}", code="webhook.not_found", message_zh="推送订阅不存在")


def _owner(session: Session, user: User, account: str | None) -> User:
    if user.role == Role.DEPARTMENT.value:
        if account not in (None, "", user.username):
            raise PermissionDeniedError("a department registers webhooks for itself only", code="webhook.forbidden",
                                        message_zh="部门只能为本部门登记推送")
        return user
    if not account:
        raise AppError("name the department account the webhook is for", status=422, code="webhook.account_required",
                       message_zh="请指定部门账号", errors={"account": ["required"]})
    owner = session.scalar(select(User).where(User.username == account))
    if owner is None or owner.role != Role.DEPARTMENT.value or not owner.is_active:
        raise AppError(f"{account} is not an active department account", status=422,
                       code="webhook.account_not_department", message_zh="该账号不是有效的部门账号",
                       errors={"account": ["not_department"]})
    return owner


def create_subscription(session: Session, settings: Settings, user: User, data: SubscriptionIn,
                        now: datetime) -> tuple[WebhookSubscription, str]:
    """Register an endpoint; returns the row and its secret (which is never shown again)."""
    _require_role(user)
    owner = _owner(session, user, data.account)
    url = check_url(data.url, settings.webhooks_allow_private)
    secret = new_secret()
    row = WebhookSubscription(user_id=owner.id, url=url, description=data.description.strip(),
                              secret_sealed=Sealer.from_settings(settings).seal(SECRET_CONTEXT, secret),
                              active=True, cursor="", dirty=True, created_by=user.id, created_at=now)
    session.add(row)
    session.flush()
    record(session, user.id, "webhook.created", target_type="webhook", target_id=row.id,
           detail={"account": owner.username, "url": url})
    _ring_delivery(session, settings, row.id)
    return row, secret


def _ring_delivery(session: Session, settings: Settings, subscription_id: int) -> None:
    from server import pipeline  # the job wiring sits above the contexts (webhooks.jobs imports this module)

    pipeline.ring(session, settings, pipeline.DELIVER_WEBHOOK, subscription_id)


def open_secret(settings: Settings, row: WebhookSubscription) -> str:
    """The subscription's secret, for signing."""
    return Sealer.from_settings(settings).open(SECRET_CONTEXT, row.secret_sealed)


def list_subscriptions(session: Session, user: User) -> list[WebhookSubscription]:
    """The caller's subscriptions (an admin's: every one), newest first."""
    _require_role(user)
    query = select(WebhookSubscription).order_by(WebhookSubscription.id.desc())
    if user.role != Role.ADMIN.value:
        query = query.where(WebhookSubscription.user_id == user.id)
    return list(session.scalars(query))


def get_subscription(session: Session, user: User, subscription_id: int) -> WebhookSubscription:
    """One subscription the caller may manage, or 404."""
    _require_role(user)
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or (user.role != Role.ADMIN.value and row.user_id != user.id):
        raise _not_found(subscription_id)
    return row


def stop_subscription(session: Session, user: User, subscription_id: int) -> None:
    """Stop pushing to an endpoint (its deliveries stay for the record)."""
    row = get_subscription(session, user, subscription_id)
    row.active = False
    session.execute(update(WebhookDelivery).where(
        WebhookDelivery.subscription_id == row.id, WebhookDelivery.status == DeliveryStatus.PENDING.value,
    ).values(status=DeliveryStatus.DEAD.value, last_error="subscription stopped"))
    record(session, user.id, "webhook.stopped", target_type="webhook", target_id=row.id)


def counts(session: Session, subscription_ids: list[int]) -> dict[int, dict[str, int]]:
    """Deliveries per status for each subscription."""
    out: dict[int, dict[str, int]] = {i: {s.value: 0 for s in DeliveryStatus} for i in subscription_ids}
    if subscription_ids:
        for sub_id, status, n in session.execute(
                select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
                .where(WebhookDelivery.subscription_id.in_(subscription_ids))
                .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status)):
            out[sub_id][status] = n
    return out


def view(session: Session, rows: list[WebhookSubscription]) -> list[dict[str, Any]]:
    """Subscriptions as the API shows them (never the secret)."""
    owners = {u.id: u.username for u in session.scalars(select(User).where(User.id.in_({r.user_id for r in rows})))}
    tallies = counts(session, [r.id for r in rows])
    return [{"id": r.id, "url": r.url, "description": r.description, "account": owners.get(r.user_id),
             "active": r.active, "created_at": r.created_at, "counts": tallies[r.id]} for r in rows]


def list_deliveries(session: Session, user: User, subscription_id: int, status: str | None,
                    cursor: str | None) -> dict[str, Any]:
    """A subscription's deliveries (``status=dead``: its dead letters), newest first, keyset-paged."""
    row = get_subscription(session, user, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id)
    if status:
        if status not in {s.value for s in DeliveryStatus}:
            raise AppError(f"status must be one of {', '.join(s.value for s in DeliveryStatus)}", status=422,
                           code="webhook.bad_status", message_zh="状态无效", errors={"status": ["unknown"]})
        query = query.where(WebhookDelivery.status == status)
    before = decode_cursor(cursor)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    items = list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(PAGE + 1)))
    more = len(items) > PAGE
    items = items[:PAGE]
    return {"items": items, "next_cursor": encode_cursor(items[-1].id) if more else None}


def _requeue(delivery: WebhookDelivery) -> None:
    """Pending again, due at once (due since it was made, whatever the sender's clock says)."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING.value, 0, delivery.created_at
    delivery.finished_at = None


def replay(session: Session, settings: Settings, user: User, subscription_id: int, delivery_id: int | None) -> int:
    """Send dead letters again (one, or all of the subscription's), oldest first and before newer events."""
    row = get_subscription(session, user, subscription_id)
    if not row.active:
        raise AppError("the webhook is stopped", status=409, code="webhook.stopped", message_zh="该推送已停用")
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id,
                                          WebhookDelivery.status == DeliveryStatus.DEAD.value)
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    dead = list(session.scalars(query))
    if delivery_id is not None and not dead:
        raise NotFoundError(f"no dead letter {delivery_id}", code="webhook.delivery_not_found",
                            message_zh="没有该失败推送")
    for delivery in dead:
        _requeue(delivery)
    record(session, user.id, "webhook.replayed", target_type="webhook", target_id=row.id,
           detail={"deliveries": sorted(d.id for d in dead)})
    _ring_delivery(session, settings, row.id)
    return len(dead)
