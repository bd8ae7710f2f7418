"""A department's webhook subscription and one delivery per feed event pushed to it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UtcDateTime

_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class DeliveryStatus(StrEnum):
    """Where one event's delivery stands."""

    PENDING = "pending"  # waiting its turn or its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # every attempt failed: a dead letter until replayed


class WebhookSubscription(Base):
    """An endpoint that receives the feed of one department account, under that account's purpose.

    ``cursor`` is the feed cursor up to which events have become deliveries.
    ``lease_until`` lets one sender at a time work a subscription (order per
    subscriber); ``dirty`` says a ring came while the lease was held.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret_sealed: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str] = mapped_column(String(40), default="")
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One feed event for one subscription; its body is sealed (it may carry opened ID numbers)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_subscription_status", "subscription_id", "status", "id"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_cursor: Mapped[str] = mapped_column(String(40))
    dataset: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    entity_uuid: Mapped[str] = mapped_column(String(36))
    body_sealed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
