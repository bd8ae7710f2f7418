"""Users, their scopes and their tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UtcDateTime
from server.geo.models import AdminUnit


class Role(StrEnum):
    """What a user does; scope says where."""

    ADMIN = "admin"
    FORM_DESIGNER = "form_designer"
    SUPERVISOR = "supervisor"
    GRID_WORKER = "grid_worker"
    DEPARTMENT = "department"


class User(Base):
    """A person or a department system that signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    department: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    scopes: Mapped[list[UserScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def scope_units(self) -> list[AdminUnit]:
        """The admin units whose subtrees this user may see."""
        return [scope.unit for scope in self.scopes]


class UserScope(Base):
    """One admin unit (and its subtree) a user may see."""

    __tablename__ = "user_scopes"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)

    user: Mapped[User] = relationship(back_populates="scopes")
    unit: Mapped[AdminUnit] = relationship(lazy="joined")


class TokenKind(StrEnum):
    """Session tokens expire in hours; API tokens are long-lived machine credentials."""

    SESSION = "session"
    API = "api"


class AccessToken(Base):
    """An opaque bearer token, stored only as its SHA-256."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed logins per username; too many lock the name out for a while."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
