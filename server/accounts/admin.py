"""What admins do to accounts beyond creating and disabling them: roles, scopes, passwords, API tokens.

Every change is audited; a password reset, a disable or a role change revokes
the user's tokens, so what the user could do before stops at once. Secrets (a
generated password, an API token) are returned once and stored only hashed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import AccessToken, Role, TokenKind, User, UserScope
from server.accounts.passwords import DEFAULT_PROFILE, hash_password
from server.accounts.service import IssuedToken, check_department, issue_api_token, set_user_active
from server.audit.service import record
from server.domain.departments import CASE_DATASET, duties
from server.errors import NotFoundError, RuleViolation
from server.geo.models import AdminUnit

MIN_PASSWORD = 8


def get_user(session: Session, username: str) -> User:
    """A user by username, or 404."""
    plausible = 0 < len(username) <= 64 and username.isprintable()
    user = session.scalar(select(User).where(User.username == username)) if plausible else None
    if user is None:
        raise NotFoundError(f"no user {username}", code="user.not_found", message_zh="用户不存在")
    return user


def _revoke_all(session: Session, user: User, now: datetime) -> int:
    count = 0
    for token in session.scalars(select(AccessToken).where(AccessToken.user_id == user.id,
                                                           AccessToken.revoked_at.is_(None))):
        token.revoked_at = now
        count += 1
    return count


def update_user(session: Session, actor: User, username: str, changes: Mapping[str, Any]) -> User:
    """Change a user's role, admin units, name, department or active state."""
    user = get_user(session, username)
    problems: dict[str, list[str]] = {}
    role = changes.get("role", user.role)
    if role not in {r.value for r in Role}:
        problems["role"] = [f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}"]
    units: list[AdminUnit] | None = None
    if "units" in changes:
        codes: Sequence[str] = changes["units"]
        units = list(session.scalars(select(AdminUnit).where(AdminUnit.code.in_(codes))))
        if missing := sorted(set(codes) - {u.code for u in units}):
            problems["units"] = [f"unknown admin unit {code}" for code in missing]
    if role != Role.ADMIN and not (units if units is not None else user.scopes):
        problems.setdefault("units", []).append("every role but admin needs at least one admin unit")
    if role != Role.DEPARTMENT and "department" not in changes:
        changes = {**changes, "department": None}  # a role change away from department drops it
    if department_problem := check_department(role, changes.get("department", user.department)):
        problems["department"] = [department_problem]
    if user.id == actor.id and (role != user.role or changes.get("is_active") is False):
        problems["role" if role != user.role else "is_active"] = ["admins cannot demote or disable themselves"]
    if problems:
        raise RuleViolation("invalid user change", errors=problems, code="user.invalid", message_zh="用户信息有误")
    detail: dict[str, Any] = {}
    now = datetime.now(UTC)
    if role != user.role:
        detail["role"] = [user.role, role]
        user.role = role
        _revoke_all(session, user, now)
    if units is not None:
        before = sorted(s.unit.code for s in user.scopes)
        after = sorted(u.code for u in units)
        if before != after:
            user.scopes = [UserScope(unit=unit) for unit in units]
            detail["units"] = [before, after]
    for key in ("display_name", "department"):
        if key in changes and changes[key] != getattr(user, key):
            detail[key] = [getattr(user, key), changes[key]]
            setattr(user, key, changes[key])
    if detail:
        record(session, actor.id, "user.update", target_type="user", target_id=user.id, detail=detail)
    if "is_active" in changes and changes["is_active"] != user.is_active:
        set_user_active(session, username, bool(changes["is_active"]), actor_id=actor.id)
    session.flush()
    return user


def reset_password(session: Session, actor: User, username: str, password: str | None, *,
                   password_profile: str = DEFAULT_PROFILE) -> str | None:
    """Set a new password (or generate one, returned once); every token of the user is revoked."""
    user = get_user(session, username)
    if password is not None and len(password) < MIN_PASSWORD:
        raise RuleViolation("password too short", errors={"password": [f"at least {MIN_PASSWORD} characters"]},
                            code="user.invalid", message_zh="密码至少 8 位")
    generated = None if password is not None else secrets.token_urlsafe(12)
    user.password_hash = hash_password(password or generated or "", password_profile)
    revoked = _revoke_all(session, user, datetime.now(UTC))
    record(session, actor.id, "user.password_reset", target_type="user", target_id=user.id,
           detail={"generated": generated is not None, "tokens_revoked": revoked})
    return generated


def issue_token(session: Session, actor: User, username: str, label: str) -> IssuedToken:
    """A long-lived token for a department system (shown once)."""
    return issue_api_token(session, username, label, actor_id=actor.id)


def list_tokens(session: Session, username: str) -> list[AccessToken]:
    """A user's long-lived API tokens (never their secrets)."""
    user = get_user(session, username)
    return list(session.scalars(select(AccessToken).where(AccessToken.user_id == user.id,
                                                          AccessToken.kind == TokenKind.API.value)
                                .order_by(AccessToken.id)))


def revoke_api_token(session: Session, actor: User, username: str, token_id: int) -> AccessToken:
    """Revoke one of a user's API tokens."""
    user = get_user(session, username)
    token = session.scalar(select(AccessToken).where(AccessToken.id == token_id, AccessToken.user_id == user.id,
                                                     AccessToken.kind == TokenKind.API.value))
    if token is None:
        raise NotFoundError(f"{username} has no API token {token_id}", code="token.not_found",
                            message_zh="令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        record(session, actor.id, "token.revoke", target_type="user", target_id=user.id,
               detail={"token_id": token.id, "label": token.label})
    return token


def list_departments() -> list[dict[str, Any]]:
    """The city's departments, each with the datasets and properties its purpose reads (None: nothing)."""
    declared = duties()
    out: list[dict[str, Any]] = []
    for code, dept in declared.departments.items():
        purpose = declared.purposes.get(code)
        reads = None if purpose is None else {
            "label_zh": purpose.label_zh,
            "datasets": {name: sorted(props) for name, props in purpose.datasets.items()},
            "cases": CASE_DATASET in purpose.datasets and bool(purpose.cases)}
        out.append({"code": code, "label_zh": dept.label_zh, "label_en": dept.label_en, "purpose": reads})
    return out
