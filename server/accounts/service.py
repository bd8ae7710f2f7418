"""Accounts: create and disable users, log in with throttling, issue and check tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from server.accounts.models import AccessToken, LoginThrottle, Role, TokenKind, User, UserScope
from server.accounts.passwords import DEFAULT_PROFILE, hash_password, verify_password
from server.audit.service import record
from server.domain.departments import duties
from server.errors import AppError, AuthenticationError, ConflictError, NotFoundError, RuleViolation
from server.geo.models import AdminUnit
from server.settings import Settings

API_TOKEN_DAYS = 365


class LoginFailed(AuthenticationError):
    """Wrong username or password; says neither which."""

    code, message_zh = "auth.invalid_credentials", "用户名或密码错误"
    keep_changes = True  # the failure must count towards throttling


class LoginLocked(AppError):
    """Too many recent failures for this username."""

    status, code, message_zh = 429, "auth.locked", "登录失败次数过多，请稍后再试"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed logins; try again later")
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class IssuedToken:
    """A token as shown once to its owner; only its hash is stored."""

    access_token: str
    expires_at: datetime
    user: User


def _now() -> datetime:
    return datetime.now(UTC)


def token_digest(raw: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    unit_codes: Sequence[str] = (),
    department: str | None = None,
    actor_id: int | None = None,
    password_profile: str = DEFAULT_PROFILE,
) -> User:
    """Create a user scoped to the given admin units."""
    problems: dict[str, list[str]] = {}
    if role not in {r.value for r in Role}:
        problems["role"] = [f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}"]
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
        problems["username"] = ["letters, digits, '-' and '_' only, at most 64 characters"]
    if len(password) < 8:
        problems["password"] = ["at least 8 characters"]
    units = list(session.scalars(select(AdminUnit).where(AdminUnit.code.in_(unit_codes))))
    missing = sorted(set(unit_codes) - {u.code for u in units})
    if missing:
        problems["units"] = [f"unknown admin unit {code}" for code in missing]
    if role != Role.ADMIN and not unit_codes:
        problems["units"] = ["every role but admin needs at least one admin unit"]
    if department_problem := check_department(role, department):
        problems["department"] = [department_problem]
    if problems:
        raise RuleViolation("invalid user", errors=problems, code="user.invalid")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username} exists", code="user.exists", message_zh="用户名已存在")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password, password_profile),
        department=department,
        is_active=True,
    )
    user.scopes = [UserScope(unit=unit) for unit in units]
    session.add(user)
    session.flush()
    record(session, actor_id, "user.create", target_type="user", target_id=user.id,
           detail={"username": username, "role": role, "units": list(unit_codes)})
    return user


def set_user_active(session: Session, username: str, active: bool, *, actor_id: int | None = None) -> User:
    """Disable (revoking every token) or re-enable a user."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username}", code="user.not_found")
    user.is_active = active
    if not active:
        for token in session.scalars(select(AccessToken).where(AccessToken.user_id == user.id)):
            token.revoked_at = token.revoked_at or _now()
    record(session, actor_id, "user.enable" if active else "user.disable", target_type="user", target_id=user.id)
    return user


def check_department(role: str, department: str | None) -> str | None:
    """What is wrong with a user's department for its role (None when nothing is).

    A department account names one of the city's departments (forms/departments.yaml): its
    purpose is what the account may read. Other roles name none.
    """
    if role != Role.DEPARTMENT:
        return "only department accounts name a department" if department else None
    if not department:
        return "a department account names its department"
    if department not in duties().departments:
        return f"unknown department {department!r}; see forms/departments.yaml"
    return None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_users(session: Session, filters: Mapping[str, object] | None = None) -> list[User]:
    """Users by username: all of them, or those matching every given filter.

    ``q`` finds a username or display name containing the text; ``role``, ``department``
    and ``is_active`` match exactly; ``unit`` keeps users scoped to that admin unit.
    """
    query = select(User).order_by(User.username)
    given = {k: v for k, v in (filters or {}).items() if v is not None and v != ""}
    if q := given.get("q"):
        pattern = _like(str(q).lower())
        query = query.where(or_(func.lower(User.username).like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    for key in ("role", "department", "is_active"):
        if key in given:
            query = query.where(getattr(User, key) == given[key])
    if unit := given.get("unit"):
        query = query.where(User.scopes.any(UserScope.unit.has(AdminUnit.code == unit)))
    return list(session.scalars(query))


def _issue(session: Session, user: User, kind: TokenKind, ttl: timedelta, label: str | None) -> IssuedToken:
    raw = secrets.token_urlsafe(32)
    expires_at = _now() + ttl
    session.add(AccessToken(user_id=user.id, token_hash=token_digest(raw), kind=kind.value,
                            label=label, expires_at=expires_at))
    return IssuedToken(raw, expires_at, user)


_THROTTLED = select(LoginThrottle.username).where(LoginThrottle.username == bindparam("username"))


def check_not_locked(session: Session, username: str) -> LoginThrottle | None:
    """Refuse a username locked out by recent failures; its throttle row, if any."""
    # A cheap look first: every Basic-authenticated request comes here, and almost no name is throttled.
    if session.execute(_THROTTLED, {"username": username[:64]}).first() is None:
        return None
    throttle = session.get(LoginThrottle, username[:64])
    now = _now()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise LoginLocked(int((throttle.locked_until - now).total_seconds()) + 1)
    return throttle


def note_failure(session: Session, settings: Settings, username: str, throttle: LoginThrottle | None,
                 user: User | None) -> LoginFailed:
    """Count a failed login (locking the name after too many) and the error to raise."""
    now = _now()
    throttle = throttle or LoginThrottle(username=username[:64], failures=0)
    throttle.failures = (throttle.failures or 0) + 1
    throttle.last_failure_at = now
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + timedelta(seconds=settings.login_lockout_seconds)
        throttle.failures = 0
    session.add(throttle)
    record(session, user.id if user else None, "auth.login_failed", detail={"username": username[:64]})
    return LoginFailed("Invalid username or password")


def login(session: Session, settings: Settings, username: str, password: str) -> IssuedToken:
    """Exchange a username and password for a session token, throttling failures."""
    throttle = check_not_locked(session, username)
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password, settings.password_profile)
    if not ok or user is None or not user.is_active:
        raise note_failure(session, settings, username, throttle, user)
    if throttle:
        session.delete(throttle)
    record(session, user.id, "auth.login", target_type="user", target_id=user.id)
    return _issue(session, user, TokenKind.SESSION, timedelta(hours=settings.token_ttl_hours), None)


def issue_api_token(session: Session, username: str, label: str, *, actor_id: int | None = None) -> IssuedToken:
    """A long-lived token for a department system."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username}", code="user.not_found")
    if user.role != Role.DEPARTMENT:
        raise RuleViolation("API tokens are for department accounts", code="token.not_department")
    token = _issue(session, user, TokenKind.API, timedelta(days=API_TOKEN_DAYS), label)
    record(session, actor_id, "token.issue_api", target_type="user", target_id=user.id, detail={"label": label})
    return token


# Every request asks, so the statement is built once, and the user's scopes come in the same
# round trip (without their units' parents, which no permission check reads).
_TOKEN_BY_HASH = (
    select(AccessToken)
    .options(joinedload(AccessToken.user).joinedload(User.scopes).joinedload(UserScope.unit)
             .lazyload(AdminUnit.parent))
    .where(AccessToken.token_hash == bindparam("token_hash")))


def valid_token(session: Session, raw: str) -> AccessToken | None:
    """The unexpired, unrevoked token of an active user, with the user and their scopes loaded."""
    token = session.scalars(_TOKEN_BY_HASH, {"token_hash": token_digest(raw)}).unique().one_or_none()
    if token is None or token.revoked_at is not None or token.expires_at <= _now():
        return None
    return token if token.user.is_active else None


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user behind a valid, unexpired, unrevoked token."""
    token = valid_token(session, raw)
    return token.user if token is not None else None


def user_for_password(session: Session, username: str, password: str,
                      password_profile: str = DEFAULT_PROFILE) -> User | None:
    """The active user for HTTP Basic credentials (OpenRosa clients), or None."""
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password, password_profile)
    return user if ok and user is not None and user.is_active else None


def revoke_token(session: Session, raw: str) -> None:
    """Revoke the token (logout); unknown tokens are ignored."""
    token = session.scalar(select(AccessToken).where(AccessToken.token_hash == token_digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = _now()
        record(session, token.user_id, "auth.logout", target_type="user", target_id=token.user_id)
