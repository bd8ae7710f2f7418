"""The cache of verified Basic credentials: fast when valid, never trusted once stale."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.basic_cache import BasicCredentialCache, cached_user_for_password
from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.accounts.service import set_user_active
from server.demo import DEMO_PASSWORD


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeUser:
    def __init__(self, id_: int, password_hash: str = "h") -> None:
        self.id, self.password_hash = id_, password_hash


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = BasicCredentialCache(ttl=300, clock=clock)
    cache.remember("worker", "pw", FakeUser(7))  # type: ignore[arg-type]
    entry = cache.lookup("worker", "pw")
    assert entry is not None and entry.user_id == 7
    assert cache.lookup("worker", "other") is None and cache.lookup("other", "pw") is None
    clock.now += 299
    assert cache.lookup("worker", "pw") is not None
    clock.now += 2
    assert cache.lookup("worker", "pw") is None and len(cache) == 0


def test_bounded_and_forgettable() -> None:
    cache = BasicCredentialCache(max_entries=2)
    for i in range(3):
        cache.remember(f"u{i}", "pw", FakeUser(i))  # type: ignore[arg-type]
    assert cache.lookup("u0", "pw") is None and len(cache) == 2
    cache.remember("u1", "pw2", FakeUser(1))  # type: ignore[arg-type]
    cache.forget("u1")
    assert cache.lookup("u1", "pw") is None and cache.lookup("u2", "pw") is not None
    cache.forget("u2", "pw")
    assert len(cache) == 0


def test_no_plain_password_or_plain_sha256_is_kept() -> None:
    import hashlib

    cache = BasicCredentialCache()
    cache.remember("worker", "secret-pw", FakeUser(1))  # type: ignore[arg-type]
    (key,) = list(cache._entries)
    assert b"secret-pw" not in key[1] and key[1] != hashlib.sha256(b"secret-pw").digest()


def _worker(db: Session) -> User:
    user = db.scalar(select(User).where(User.username == "worker"))
    assert user is not None
    return user


def test_verified_once_then_served_from_the_cache(db: Session, verifications: list[str]) -> None:
    cache = BasicCredentialCache()
    for _ in range(5):
        user = cached_user_for_password(db, "worker", DEMO_PASSWORD, cache)
        assert user is not None and user.username == "worker"
    assert verifications == ["worker"]


def test_wrong_passwords_are_never_cached(db: Session, verifications: list[str]) -> None:
    cache = BasicCredentialCache()
    for _ in range(3):
        assert cached_user_for_password(db, "worker", "wrong-password", cache) is None
    assert verifications == ["worker"] * 3 and len(cache) == 0


def test_a_password_change_invalidates_at_once(db: Session, verifications: list[str]) -> None:
    cache = BasicCredentialCache()
    assert cached_user_for_password(db, "worker", DEMO_PASSWORD, cache) is not None
    _worker(db).password_hash = hash_password("a-new-password")
    db.flush()
    assert cached_user_for_password(db, "worker", DEMO_PASSWORD, cache) is None
    assert cached_user_for_password(db, "worker", "a-new-password", cache) is not None
    assert verifications == ["worker"] * 3


def test_disabling_a_user_invalidates_at_once(db: Session) -> None:
    cache = BasicCredentialCache()
    assert cached_user_for_password(db, "worker", DEMO_PASSWORD, cache) is not None
    set_user_active(db, "worker", False)
    db.flush()
    assert cached_user_for_password(db, "worker", DEMO_PASSWORD, cache) is None
    assert len(cache) == 0
