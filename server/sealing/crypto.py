"""Encryption at rest and keyed hashes for sensitive values (registry properties, submission answers).

ID numbers and phone numbers are stored only as AES-GCM ciphertext
(``"<key id>:<base64 nonce+ciphertext>"``, the property name bound as
associated data) and, for exact lookup, as an HMAC-SHA256 "blind index".
Both keys are derived with HKDF from one master key; the key id is a short
digest of the derived AEAD key.

Rotation. The master key is ``settings.encryption_key``
(``GRIDREG_ENCRYPTION_KEY``); retired ones stay in
``settings.encryption_keys_old`` (``GRIDREG_ENCRYPTION_KEYS_OLD``) so tokens
sealed under them still open (each token names its key id). New values are
always sealed under the current key, and ``gridreg registry rekey``
(server/registry/rekey.py) reseals the rest.

The blind index key is derived from the same master, so it changes exactly
when the master key changes: a compromised key must not leave ID numbers
guessable from their hashes (an 18-digit ID number with a known birth date
is a small search space). Decision: rekey recomputes a stored hash only when
it differs from the current key's hash (that is, only after the master key
changed); a rekey under an unchanged key rewrites nothing. Until rekey has
finished, exact lookups (search by ID or phone number, the strong-key dedup)
match the hash under every known key (``digests``), so no duplicate
registration slips in during the window; retire an old key from the setting
only after rekey reports nothing left.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.settings import Settings

_AEAD_INFO = b"gridreg/registry/aes-gcm/v1"
_INDEX_INFO = b"gridreg/registry/blind-index/v1"
_NONCE = 12
SEALED_PAYLOAD = b"GRS1"  # how a sealed payload (seal_bytes) begins


class SealError(ValueError):
    """A token could not be opened (unknown key id, tampering, wrong property)."""


def _decode_key(key: str) -> bytes:
    raw = base64.urlsafe_b64decode(key.encode() + b"=" * (-len(key) % 4))
    if len(raw) != 32:
        raise ValueError("encryption key must be 32 bytes, url-safe base64")
    return raw


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM


def _make_key(master_b64: str) -> tuple[_Key, bytes]:
    master = _decode_key(master_b64)
    aead_key = _derive(master, _AEAD_INFO)
    kid = hashlib.sha256(aead_key).hexdigest()[:8]
    return _Key(kid, AESGCM(aead_key)), _derive(master, _INDEX_INFO)


class Sealer:
    """Seals and opens sensitive values; computes their keyed hashes."""

    def __init__(self, current_key: str, previous_keys: tuple[str, ...] = ()) -> None:
        current, self._index_key = _make_key(current_key)
        self.kid = current.kid
        self._current = current
        self._keys = {current.kid: current}
        self._old_index_keys: list[bytes] = []
        for old in previous_keys:
            key, index_key = _make_key(old)
            if key.kid not in self._keys:
                self._keys[key.kid] = key
                self._old_index_keys.append(index_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        """The sealer for the process's settings (cached per key set)."""
        return _cached_sealer(settings.encryption_key, tuple(settings.encryption_keys_old))

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every key this sealer can open, the current one first."""
        return tuple(self._keys)

    @property
    def rotating(self) -> bool:
        """True while retired keys are configured (hashes may still be under one of them)."""
        return bool(self._old_index_keys)

    def seal(self, prop: str, value: str) -> str:
        """Encrypt ``value`` for property ``prop`` under the current key."""
        nonce = os.urandom(_NONCE)
        ct = self._current.aead.encrypt(nonce, value.encode("utf-8"), prop.encode("utf-8"))
        return f"{self.kid}:{base64.b64encode(nonce + ct).decode('ascii')}"

    def open(self, prop: str, token: str) -> str:
        """Decrypt a token sealed for ``prop`` by this or a previous key."""
        kid, _, body = token.partition(":")
        key = self._keys.get(kid)
        if key is None:
            raise SealError(f"unknown key id {kid!r}")
        try:
            raw = binascii.a2b_base64(body)  # what b64decode does, without its argument checks
            return key.aead.decrypt(raw[:_NONCE], raw[_NONCE:], prop.encode("utf-8")).decode("utf-8")
        except Exception as exc:  # noqa: BLE001 - InvalidTag, binascii errors: one meaning
            raise SealError("token cannot be opened") from exc

    def seal_bytes(self, context: str, data: bytes) -> bytes:
        """Encrypt a whole payload (a raw submission file): ``GRS1`` + key id + nonce + ciphertext."""
        nonce = os.urandom(_NONCE)
        return SEALED_PAYLOAD + self.kid.encode("ascii") + nonce + self._current.aead.encrypt(
            nonce, data, context.encode("utf-8"))

    def open_bytes(self, context: str, sealed: bytes) -> bytes:
        """Decrypt what ``seal_bytes`` made for the same context, under this or a previous key."""
        if not sealed.startswith(SEALED_PAYLOAD):
            raise SealError("not a sealed payload")
        head = len(SEALED_PAYLOAD)
        key = self._keys.get(sealed[head:head + 8].decode("ascii", "replace"))
        if key is None:
            raise SealError("unknown key id")
        body = sealed[head + 8:]
        try:
            return key.aead.decrypt(body[:_NONCE], body[_NONCE:], context.encode("utf-8"))
        except Exception as exc:  # noqa: BLE001 - InvalidTag: one meaning
            raise SealError("payload cannot be opened") from exc

    def payload_needs_reseal(self, stored: bytes) -> bool:
        """True when a stored payload is plain (written before sealing) or sealed under an older key."""
        head = len(SEALED_PAYLOAD)
        return not stored.startswith(SEALED_PAYLOAD) or stored[head:head + 8] != self.kid.encode("ascii")

    def needs_reseal(self, token: str) -> bool:
        """True when the token was sealed under an older key."""
        return not token.startswith(self.kid + ":")

    def reseal(self, prop: str, token: str) -> str:
        """The token under the current key (the same token when it already is)."""
        return token if not self.needs_reseal(token) else self.seal(prop, self.open(prop, token))

    def digest(self, kind: str, value: str) -> str:
        """The keyed hash (HMAC-SHA256, hex) of a normalised value, namespaced by ``kind``."""
        return _hmac(self._index_key, kind, value)

    def digests(self, kind: str, value: str) -> tuple[str, ...]:
        """The value's hash under the current key, then under each retired key (for lookups during rotation)."""
        return (self.digest(kind, value), *(_hmac(key, kind, value) for key in self._old_index_keys))


def _hmac(key: bytes, kind: str, value: str) -> str:
    message = kind.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _cached_sealer(current: str, previous: tuple[str, ...]) -> Sealer:
    return Sealer(current, previous)


def current_sealer(settings: Settings) -> Sealer:
    """The sealer for ``settings``: callers pass the settings they run under (a request's app, a job's worker)."""
    return Sealer.from_settings(settings)
