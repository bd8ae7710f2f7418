"""The one place that decides what a user may see in the grid hierarchy.

Every scoped row carries the materialised path of the admin unit it belongs to
(``/410184/410184001/.../``). A user sees a row when that path lies below one
of the user's scope units; admins see everything. Lists filter with
``scope_clause``; details load through ``get_in_scope``, and an object outside
the caller's scope answers 404 exactly as a missing one does, so ids of other
areas cannot be probed.

Department accounts are further held to their duty's *purpose*
(forms/departments.yaml): the datasets and properties it may read and which
cases. ``purpose_clause`` narrows lists as ``scope_clause`` does,
``within_purpose`` leaves unreadable properties out of a record, and a read
of anything outside the purpose goes through ``deny``: a ``purpose.denied``
audit row, then 404 exactly as a missing object (the row is kept although
the request fails).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.accounts.models import Role, User
from server.audit.service import record
from server.domain.departments import CASE_DATASET, Purpose, duties
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


# --------------------------------------------------------------------------- purposes


class PurposeDeniedError(NotFoundError):
    """A read outside the caller's purpose: answered as not found, its audit row kept."""

    keep_changes = True


def purpose_of(user: User) -> Purpose | None:
    """The purpose a department account is held to (an empty one if none is declared); None for other roles."""
    if user.role != Role.DEPARTMENT.value:
        return None
    code = user.department or ""
    return duties().purposes.get(code) or Purpose(code, code, {}, ())


def reads_dataset(user: User, dataset: str) -> bool:
    """True when the user's purpose (if any) includes the dataset."""
    purpose = purpose_of(user)
    return purpose is None or purpose.properties(dataset) is not None


def purpose_clause(user: User, dataset: str, properties_column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping the dataset's records the user's purpose may read (with ``scope_clause``)."""
    purpose = purpose_of(user)
    if purpose is None:
        return true()
    if purpose.properties(dataset) is None:
        return false()
    if dataset != CASE_DATASET:
        return true()
    if not purpose.cases:
        return false()
    return or_(
        *(
            and_(*(properties_column[key].as_string().in_(sorted(values)) for key, values in cond.items()))
            for cond in purpose.cases
        )
    )


def in_purpose(user: User, dataset: str, properties: Mapping[str, Any]) -> bool:
    """The same rule as ``purpose_clause`` for one record already loaded."""
    purpose = purpose_of(user)
    if purpose is None:
        return True
    if purpose.properties(dataset) is None:
        return False
    return dataset != CASE_DATASET or purpose.reads_case(properties)


def readable_properties(user: User, dataset: str) -> frozenset[str] | None:
    """The dataset's properties the user may read (None: all of them)."""
    purpose = purpose_of(user)
    return None if purpose is None else purpose.properties(dataset) or frozenset()


def within_purpose(user: User, dataset: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The record's properties without those the user's purpose may not read."""
    allowed = readable_properties(user, dataset)
    return dict(properties) if allowed is None else {k: v for k, v in properties.items() if k in allowed}


def deny(session: Session, user: User, target_type: str, target_id: object | None, why: str,
         *, code: str = "not_found") -> NoReturn:
    """Audit a read outside the user's purpose, then answer 404 as for a missing object."""
    purpose = purpose_of(user)
    record(session, user.id, "purpose.denied", target_type=target_type, target_id=target_id,
           detail={"department": purpose.department if purpose else None, "why": why})
    raise PurposeDeniedError(f"{target_type} {target_id or ''} not found".strip(), code=code)


def require_dataset(session: Session, user: User, dataset: str, *, code: str = "registry.dataset_not_found") -> None:
    """404 (audited) when the dataset lies outside the user's purpose."""
    if not reads_dataset(user, dataset):
        deny(session, user, f"registry.{dataset}", None, "dataset outside the purpose", code=code)


def require_properties(session: Session, user: User, dataset: str, names: list[str]) -> None:
    """404 (audited) when a filter or lookup uses properties outside the user's purpose."""
    allowed = readable_properties(user, dataset)
    outside = sorted(n for n in names if allowed is not None and n not in allowed)
    if outside:
        deny(session, user, f"registry.{dataset}", None, f"properties outside the purpose: {', '.join(outside)}")
