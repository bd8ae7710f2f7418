"""Password hashing with argon2id.

The work factors are one of argon2-cffi's named profiles (``Settings.password_profile``): RFC 9106's
low-memory profile, argon2-cffi's own default, unless configured otherwise. A hash carries its own
parameters, so a password costs to verify what it cost to hash, and a new profile applies to
passwords set from then on. ``CHEAPEST`` exists for test suites, where every test logs in.
"""

from __future__ import annotations

from functools import cache

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PROFILES: dict[str, Parameters] = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "RFC_9106_HIGH_MEMORY": profiles.RFC_9106_HIGH_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,
}
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"


@cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(PROFILES[profile])


@cache
def _dummy_hash(profile: str) -> str:
    """Verified against when the username is unknown, so both paths cost the same."""
    return _hasher(profile).hash("gridreg-timing-equaliser")


def hash_password(password: str, profile: str = DEFAULT_PROFILE) -> str:
    """An argon2id hash of ``password`` with the profile's work factors."""
    return _hasher(profile).hash(password)


def verify_password(password_hash: str | None, password: str, profile: str = DEFAULT_PROFILE) -> bool:
    """True if ``password`` matches; always spends one verification (of a dummy hash made with
    ``profile`` when there is no hash)."""
    try:
        return _hasher(profile).verify(password_hash or _dummy_hash(profile), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
