"""Rekey steps for webhooks: subscription secrets and delivery bodies move to the current key.

Registered in server/registry/rekey.py's ``OTHER_STEPS``; the same contract as
every step there (rows with id > ``after``, at most ``limit``, rewritten only
when sealed under a retired key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.sealing.crypto import Sealer, SealError
from server.sealing.rekeying import BatchResult, UnknownKeyError
from server.webhooks.jobs import body_context
from server.webhooks.models import WebhookDelivery, WebhookSubscription
from server.webhooks.service import SECRET_CONTEXT


def _reseal(sealer: Sealer, table: str, row_id: int, context: str, token: str) -> str:
    try:
        return sealer.reseal(context, token)
    except SealError as exc:
        raise UnknownKeyError(f"{table} {row_id} is sealed under a key that is not configured; add it to "
                              "GRIDREG_ENCRYPTION_KEYS_OLD and run again",
                              errors={"table": [table], "row": [row_id]}) from exc


def _walk(session: Session, sealer: Sealer, model: Any, table: str, column: str,
          context: Callable[[Any], str], after: int, limit: int, write: bool) -> BatchResult:
    result = BatchResult(table)
    query = select(model).where(model.id > after).order_by(model.id).limit(limit)
    for row in session.scalars(query.with_for_update() if write else query):
        result.scanned += 1
        result.last_id = row.id
        token = getattr(row, column)
        if not sealer.needs_reseal(token):
            continue
        resealed = _reseal(sealer, table, row.id, context(row), token)
        result.resealed += 1
        result.changed += 1
        if write:
            setattr(row, column, resealed)
    session.flush()
    return result


def reseal_secrets(session: Session, sealer: Sealer, after: int, limit: int, write: bool) -> BatchResult:
    """One batch of subscriptions whose secret is sealed under a retired key."""
    return _walk(session, sealer, WebhookSubscription, "webhook_subscriptions", "secret_sealed",
                 lambda _row: SECRET_CONTEXT, after, limit, write)


def reseal_bodies(session: Session, sealer: Sealer, after: int, limit: int, write: bool) -> BatchResult:
    """One batch of deliveries whose body is sealed under a retired key."""
    return _walk(session, sealer, WebhookDelivery, "webhook_deliveries", "body_sealed",
                 lambda row: body_context(row.subscription_id), after, limit, write)
