"""The signature a receiver checks: HMAC-SHA256 over the timestamp and the body.

Header ``Gridreg-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 keyed by the subscription's secret over ``"<t>." + body`` (the
raw bytes of the request body). A receiver recomputes it, compares in
constant time and rejects a timestamp too far from its clock (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Gridreg-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh subscription secret (shown once, stored sealed)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the header matches the body and its timestamp is recent."""
    fields = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(fields.get("v1", ""), signature(secret, timestamp, body))
