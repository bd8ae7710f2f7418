"""The sealer: sealing, opening, rotation, tampering and keyed digests."""

from __future__ import annotations

import base64

import pytest

from server.sealing.crypto import Sealer, SealError

KEY = base64.urlsafe_b64encode(b"a" * 32).decode()
OLD_KEY = base64.urlsafe_b64encode(b"b" * 32).decode()


def test_sealer_round_trip_rotation_and_tampering():
    old = Sealer(OLD_KEY)
    token = old.seal("resident_id", "640104198506120218")
    assert "640104198506120218" not in token and token.startswith(old.kid + ":")
    rotated = Sealer(KEY, (OLD_KEY,))
    assert rotated.open("resident_id", token) == "640104198506120218"
    assert rotated.needs_reseal(token) and not rotated.needs_reseal(rotated.seal("phone", "1"))
    with pytest.raises(SealError):
        rotated.open("phone", token)  # bound to its property
    with pytest.raises(SealError):
        Sealer(KEY).open("resident_id", token)  # the old key is gone
    assert old.seal("x", "v") != old.seal("x", "v")  # fresh nonce each time
    assert old.digest("resident_id", "1") == Sealer(OLD_KEY).digest("resident_id", "1")
    digests = [old.digest("resident_id", "1"), old.digest("phone", "1"), Sealer(KEY).digest("phone", "1")]
    assert len(set(digests)) == len(digests)  # bound to the property and to the key: every pair differs
