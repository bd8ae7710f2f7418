"""The one place that decides what a user may see in the grid hierarchy.

Every scoped row carries the materialised path of the admin unit it belongs to
(``/410184/410184001/.../``). A user sees a row when that path lies below one
of the user's scope units; admins see everything. Lists filter with
``scope_clause``; details load through ``get_in_scope``, and an object outside
the caller's scope answers 404 exactly as a missing one does, so ids of other
areas cannot be probed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.accounts.models import Role, User
from server.errors import NotFoundError

T = TypeVar("T")

# Roles that see the whole city regardless of scope rows.
CITYWIDE_ROLES = {Role.ADMIN.value}


def scope_paths(user: User) -> list[str]:
    """The path prefixes this user may see."""
    return [scope.unit.path for scope in user.scopes]


def sees_everything(user: User) -> bool:
    """True for roles that are not limited to their units."""
    return user.role in CITYWIDE_ROLES


def scope_clause(user: User, path_column: InstrumentedAttribute[str] | ColumnElement[str]) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose path lies inside the user's scope."""
    if sees_everything(user):
        return true()
    paths = scope_paths(user)
    if not paths:
        return false()
    return or_(*(path_column.startswith(path, autoescape=True) for path in paths))


def path_in_scope(user: User, path: str | None) -> bool:
    """The same rule as ``scope_clause`` for one path already loaded."""
    if sees_everything(user):
        return True
    return path is not None and any(path.startswith(p) for p in scope_paths(user))


def get_in_scope(
    session: Session,
    user: User,
    model: type[T],
    column: Any,
    value: object,
    path_column: Any,
    *,
    code: str = "not_found",
) -> T:
    """Load one row by ``column == value`` if it lies in the user's scope, else 404."""
    row = session.scalar(select(model).where(column == value, scope_clause(user, path_column)))
    if row is None:
        raise NotFoundError(f"{model.__name__} {value} not found", code=code)
    return row
