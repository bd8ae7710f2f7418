"""Key rotation reaches webhooks: secrets and delivery bodies move to the current key with `registry rekey`."""

from __future__ import annotations

import base64

from sqlalchemy import select

from server.registry import rekey
from server.sealing.crypto import Sealer
from server.webhooks import jobs
from server.webhooks.models import WebhookDelivery, WebhookSubscription
from server.webhooks.service import SECRET_CONTEXT
from tests.conftest import TEST_KEY
from tests.registry.conftest import REGISTRATION, registration
from tests.webhooks.conftest import subscribe

NEW_KEY = base64.urlsafe_b64encode(b"w" * 32).decode()


def test_rekey_reseals_secrets_and_bodies(client, auth, db, merge, receiver, hooks):
    sub = subscribe(client, auth, "police", receiver.url)
    merge(REGISTRATION, registration())
    receiver.answer = lambda _event: 500
    jobs.deliver(sub["id"])
    assert {"webhook_subscriptions", "webhook_deliveries"} <= set(rekey.tables())
    rotated, alone = Sealer(NEW_KEY, (TEST_KEY,)), Sealer(NEW_KEY)
    for table in ("webhook_subscriptions", "webhook_deliveries"):
        result = rekey.rekey_batch(db, rotated, table, 0, 500)
        assert result.changed >= 1, table
        assert rekey.rekey_batch(db, rotated, table, 0, 500, write=False).changed == 0  # --check is clean after
    row = db.get(WebhookSubscription, sub["id"])
    assert alone.open(SECRET_CONTEXT, row.secret_sealed) == sub["secret"]
    delivery = db.scalar(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub["id"]))
    body = alone.open(jobs.body_context(sub["id"]), delivery.body_sealed)
    assert body.encode() == receiver.received[0].body
