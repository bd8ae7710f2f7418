"""Who is calling, resolved from the process's cache (server/cache.py) instead of the database.

Every request names its caller by a bearer token or, from ODK Collect, by HTTP
Basic credentials. Loading the token or user with its scopes was a joined query
on every request, more CPU than storing a submission; the caller changes a few
times a year. The resolved user is kept per process as a detached copy; a
request reads it as it is (auth.current_caller) or attaches its own copy to its
session without a query (auth.current_user). A revoked or expired token,
a changed password, a disabled user, changed scopes or a lockout reach every
process within a second through the ``accounts`` generation; an expired token is
refused at once (its expiry is kept beside it). Failures are never cached.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.accounts.basic_cache import basic_cache, cached_user_for_password
from server.accounts.models import User
from server.accounts.service import check_not_locked, note_failure, token_digest, valid_token
from server.cache import caches_for, detached_copy
from server.settings import Settings


def caller_for_bearer(session: Session, raw: str) -> User | None:
    """The active user behind a valid bearer token, as the process's read-only copy (see ``auth.current_caller``)."""
    cache = caches_for(session).identity
    key = ("bearer", token_digest(raw))
    hit: tuple[User, datetime] | None = cache.get(session, key)
    if hit is not None:
        user, expires_at = hit
        return user if expires_at > datetime.now(UTC) else None
    token = valid_token(session, raw)
    if token is None:
        return None
    copy = detached_copy(token.user)
    cache.put(session, key, (copy, token.expires_at))
    return copy


def caller_for_basic(session: Session, settings: Settings, username: str, password: str) -> User:
    """The active user for HTTP Basic credentials, as the process's read-only copy; a locked name or a
    failure raises (and counts)."""
    cache = caches_for(session).identity
    key = ("basic", *basic_cache().key_for(username, password))
    hit: User | None = cache.get(session, key)
    if hit is not None:
        return hit
    throttle = check_not_locked(session, username)
    user = cached_user_for_password(session, username, password, password_profile=settings.password_profile)
    if user is None:
        raise note_failure(session, settings, username, throttle, None)
    _ = user.scope_units  # loaded before copying: the copy carries the scopes every permission check reads
    copy = detached_copy(user)
    cache.put(session, key, copy)
    return copy
