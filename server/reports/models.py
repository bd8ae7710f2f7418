"""Stored monthly reports: one row per period, unit and revision, never changed once written.

A later run of the same period and unit writes the next revision with what
changed since the one before, so a late submission never silently alters a
report that was already published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JsonType, UtcDateTime


class MonthlyReport(Base):
    """The figures of one unit (and its child units) for one period, as one run computed them."""

    __tablename__ = "monthly_reports"
    __table_args__ = (
        UniqueConstraint("period", "unit_code", "revision"),
        Index("ix_monthly_reports_unit_path", "period", "unit_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    period_start: Mapped[str] = mapped_column(String(10))
    period_end: Mapped[str] = mapped_column(String(10))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_level: Mapped[str] = mapped_column(String(16))
    unit_path: Mapped[str] = mapped_column(String(512))
    revision: Mapped[int] = mapped_column(Integer)
    provisional: Mapped[bool] = mapped_column(Boolean)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule, api, cli
    figures: Mapped[dict[str, Any]] = mapped_column(JsonType)
    children: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    generated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime)
