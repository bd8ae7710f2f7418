"""Webhook delivery: the feed, pushed to each subscriber in order, with backoff and dead letters.

A ring (``pump``, after any transaction that wrote registry events) marks
every active subscription dirty and queues ``deliver`` for it. ``deliver``
takes the subscription's lease, so one sender at a time works a subscriber;
it turns the feed after the subscription's cursor into delivery rows (the
account's own feed: same purpose, same bodies, read and audited as the feed
is), then sends the oldest pending delivery, and the next only once that one
is delivered or dead. A failed attempt waits 10 s, 20 s, 40 s … (at most an
hour) before the next; after ``settings.webhook_max_attempts`` it is a dead letter and the
next event goes. No transaction stays open while a request is in flight.
Releasing the lease reads the dirty flag in the same statement, so a ring
that came while the lease was held is never lost.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from server import queue, worker
from server.accounts.models import User
from server.exports.feed import read_feed
from server.queue import enqueue_now, job_path, run_inline
from server.sealing.crypto import Sealer
from server.settings import Settings
from server.webhooks import signing
from server.webhooks.addresses import WebhookUrlError, check_url
from server.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from server.webhooks.service import QUEUE, open_secret

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600
LEASE_SECONDS = 300
TIMEOUT_SECONDS = 10
FEED_PAGE = 200
SENDS_PER_RUN = 200


def _utc_now() -> datetime:
    return datetime.now(UTC)


clock: Callable[[], datetime] = _utc_now  # the job edge's clock (tests set their own)


def _start_timer(delay: float, run: Callable[[], None]) -> None:
    timer = threading.Timer(delay, run)
    timer.daemon = True
    timer.start()


# Without Redis (the embedded mode) a retry's wait is a timer in this process; tests replace it.
start_timer: Callable[[float, Callable[[], None]], None] = _start_timer


def body_context(subscription_id: int) -> str:
    """What a delivery body is sealed for."""
    return f"webhook.delivery:{subscription_id}"


def backoff(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failure."""
    return int(min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def pump() -> None:
    """Mark every active subscription dirty and queue its sender (after registry events commit)."""
    settings = worker.settings()
    with worker.job_session() as session:
        ids = list(session.scalars(select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))))
        if ids:
            session.execute(update(WebhookSubscription).where(WebhookSubscription.id.in_(ids)).values(dirty=True))
    for sub_id in ids:
        enqueue_now(settings, QUEUE, job_path(deliver), sub_id)


def _schedule(settings: Settings, subscription_id: int, delay: float) -> None:
    if settings.redis_url:
        queue.get_queue(settings, QUEUE).enqueue_in(timedelta(seconds=delay), job_path(deliver), subscription_id)
    else:
        start_timer(delay, lambda: run_inline(job_path(deliver), subscription_id))


def _take_lease(subscription_id: int, now: datetime) -> bool:
    with worker.job_session() as session:
        taken = session.execute(update(WebhookSubscription).where(
            WebhookSubscription.id == subscription_id, WebhookSubscription.active.is_(True),
            or_(WebhookSubscription.lease_until.is_(None), WebhookSubscription.lease_until < now),
        ).values(lease_until=now + timedelta(seconds=LEASE_SECONDS), dirty=False))
        return bool(getattr(taken, "rowcount", 0))


def _release_lease(subscription_id: int) -> bool:
    """Release; True when a ring came meanwhile (the row was marked dirty again)."""
    with worker.job_session() as session:
        row = session.get(WebhookSubscription, subscription_id, with_for_update=True)
        if row is None:
            return False
        row.lease_until = None
        return row.dirty and row.active


def _collect(session: Session, settings: Settings, sub: WebhookSubscription, now: datetime) -> None:
    """Turn the owner's feed after the subscription's cursor into pending deliveries."""
    owner = session.get(User, sub.user_id)
    if owner is None or not owner.is_active:
        return
    sealer = Sealer.from_settings(settings)
    for _ in range(5):
        page = read_feed(session, sealer, owner, sub.cursor or None, FEED_PAGE)
        for raw in page["items"]:
            item = json.loads(raw)  # the feed's item as JSON text; a few fields become columns
            body = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)
            session.add(WebhookDelivery(
                subscription_id=sub.id, event_cursor=item["cursor"], dataset=item["dataset"], kind=item["kind"],
                entity_uuid=item["uuid"], body_sealed=sealer.seal(body_context(sub.id), body),
                status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now, created_at=now))
        sub.cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    session.flush()


@dataclass(frozen=True)
class _Next:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    attempts: int


def _next_due(subscription_id: int, now: datetime) -> _Next | float | None:
    """The oldest pending delivery if due, the seconds until it is, or None when nothing waits."""
    settings = worker.settings()
    with worker.job_session() as session:
        sub = session.get(WebhookSubscription, subscription_id)
        if sub is None or not sub.active:
            return None
        if not session.scalar(select(WebhookDelivery.id).where(
                WebhookDelivery.subscription_id == sub.id,
                WebhookDelivery.status == DeliveryStatus.PENDING.value).limit(1)):
            _collect(session, settings, sub, now)
        head = session.scalar(select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == sub.id, WebhookDelivery.status == DeliveryStatus.PENDING.value,
        ).order_by(WebhookDelivery.id).limit(1))
        if head is None:
            return None
        if head.next_attempt_at > now:
            return (head.next_attempt_at - now).total_seconds()
        body = Sealer.from_settings(settings).open(body_context(sub.id), head.body_sealed).encode("utf-8")
        return _Next(head.id, sub.url, open_secret(settings, sub), body, head.attempts)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is a failed attempt: it could lead anywhere, inside the network too


_opener = urllib.request.build_opener(_NoRedirects)


def send(settings: Settings, url: str, secret: str, delivery_id: int, body: bytes, now: datetime) -> tuple[int | None,
                                                                                                          str | None]:
    """POST one signed body; (HTTP status or None, error or None). 2xx with no error is delivered."""
    try:
        check_url(url, settings.webhooks_allow_private)
    except WebhookUrlError as exc:
        return None, f"{exc.code}: {exc.message}"
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "gridreg-webhooks/1",
        "Gridreg-Delivery": str(delivery_id),
        signing.HEADER: signing.header(secret, int(now.timestamp()), body),
    })
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status = int(response.status)
            return status, None if 200 <= status < 300 else f"HTTP {status}"
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


def _settle(item: _Next, status: int | None, error: str | None, now: datetime, max_attempts: int) -> float | None:
    """Record an attempt; the seconds to wait before the next one, or None to go on."""
    with worker.job_session() as session:
        delivery = session.get(WebhookDelivery, item.delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
            return None
        delivery.attempts, delivery.last_status, delivery.last_error = item.attempts + 1, status, error
        if error is None:
            delivery.status, delivery.finished_at = DeliveryStatus.DELIVERED.value, now
            return None
        if delivery.attempts >= max_attempts:
            delivery.status, delivery.finished_at = DeliveryStatus.DEAD.value, now
            log.warning("webhook delivery dead", extra={"delivery": delivery.id, "error": error})
            return None
        wait = backoff(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        return float(wait)


def deliver(subscription_id: int) -> None:
    """Send a subscription's pending events in order (the webhooks queue's job); a no-op if another sender works it."""
    settings = worker.settings()
    if not _take_lease(subscription_id, clock()):
        return
    wait: float | None = None
    sent = 0
    try:
        while sent < SENDS_PER_RUN:
            due = _next_due(subscription_id, clock())
            if due is None or isinstance(due, float):
                wait = due
                break
            status, error = send(settings, due.url, due.secret, due.delivery_id, due.body, clock())
            sent += 1
            wait = _settle(due, status, error, clock(), settings.webhook_max_attempts)
            if wait is not None:
                break
    finally:
        rung = _release_lease(subscription_id)
    if rung or sent >= SENDS_PER_RUN:
        enqueue_now(settings, QUEUE, job_path(deliver), subscription_id)
    elif wait is not None:
        _schedule(settings, subscription_id, wait)


def find_stuck(session: Session, settings: Settings, older_than_seconds: int) -> int:
    """Ring every active subscription whose lease is free (missed rings, retries whose timer died)."""
    now = clock()
    ids = list(session.scalars(select(WebhookSubscription.id).where(
        WebhookSubscription.active.is_(True),
        or_(WebhookSubscription.lease_until.is_(None), WebhookSubscription.lease_until < now))))
    for sub_id in ids:
        enqueue_now(settings, QUEUE, job_path(deliver), sub_id)
    return len(ids)
