"""A short-lived, in-process cache of verified HTTP Basic credentials.

ODK Collect sends Basic credentials with every request, and argon2 is slow on
purpose (tens of milliseconds of CPU), so verifying them each time would bound
submission intake by password hashing. A successful verification is remembered
for a few minutes, keyed by the username and a keyed SHA-256 of the password
(the key is random per process, so the cache holds no reusable hash).

A hit is only trusted after reloading the user: the entry is dropped as soon as
the user is disabled or the stored password hash differs from the one the
password was verified against, so a password change or a disable takes effect
on the next request, in every process, without any cross-process signal.
Failed verifications are never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from server.accounts.models import User, UserScope
from server.accounts.passwords import DEFAULT_PROFILE
from server.accounts.service import user_for_password
from server.geo.models import AdminUnit
from server.lru import Lru

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    user_id: int
    password_hash: str
    expires_at: float


class BasicCredentialCache:
    """Verified (username, password) pairs -> user id, for ``ttl`` seconds."""

    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = DEFAULT_MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: Lru[tuple[str, bytes], _Entry] = Lru(max_entries)

    def key_for(self, username: str, password: str) -> tuple[str, bytes]:
        """How these credentials are named in a cache: the username and a keyed hash of the password."""
        return username, hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()

    def lookup(self, username: str, password: str) -> _Entry | None:
        """The unexpired entry for these credentials, if any."""
        key = self.key_for(username, password)
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at <= self._clock():
            self._entries.pop(key)
            return None
        return entry

    def remember(self, username: str, password: str, user: User) -> None:
        """Record that these credentials verified against the user's current hash."""
        self._entries.put(self.key_for(username, password),
                          _Entry(user.id, user.password_hash, self._clock() + self.ttl))

    def forget(self, username: str, password: str | None = None) -> None:
        """Drop one pair, or every entry of the username when no password is given."""
        if password is not None:
            self._entries.pop(self.key_for(username, password))
        else:
            self._entries.pop_where(lambda key: key[0] == username)

    def clear(self) -> None:
        """Drop everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_cache = BasicCredentialCache()
# Every OpenRosa request asks: built once, with the user's scopes in the same round trip.
_USER_WITH_SCOPES = (
    select(User).options(joinedload(User.scopes).joinedload(UserScope.unit).lazyload(AdminUnit.parent))
    .where(User.id == bindparam("id")))


def basic_cache() -> BasicCredentialCache:
    """The process's cache."""
    return _cache


def cached_user_for_password(session: Session, username: str, password: str,
                             cache: BasicCredentialCache | None = None,
                             password_profile: str = DEFAULT_PROFILE) -> User | None:
    """``user_for_password`` that skips argon2 for credentials verified a moment ago."""
    cache = cache or _cache
    entry = cache.lookup(username, password)
    if entry is not None:
        user = session.scalars(_USER_WITH_SCOPES, {"id": entry.user_id}).unique().one_or_none()
        if (user is not None and user.is_active and user.username == username
                and hmac.compare_digest(user.password_hash, entry.password_hash)):
            return user
        cache.forget(username, password)
    user = user_for_password(session, username, password, password_profile)
    if user is not None:
        cache.remember(username, password, user)
    return user
