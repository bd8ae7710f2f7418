"""Admin units: city → township → community → grid, with boundaries in SRID 4326."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UtcDateTime

SRID = 4326


class UnitLevel(StrEnum):
    """Levels of the grid hierarchy, from the top."""

    CITY = "city"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"


LEVEL_ORDER = {UnitLevel.CITY: 0, UnitLevel.TOWNSHIP: 1, UnitLevel.COMMUNITY: 2, UnitLevel.GRID: 3}


class AdminUnit(Base):
    """One unit of the hierarchy; ``path`` is the materialised chain of codes."""

    __tablename__ = "admin_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    # "/410184/410184001/410184001001/": prefix match finds a subtree.
    path: Mapped[str] = mapped_column(String(512), index=True)
    # Deferred: only a unit's detail and distance checks need the polygon; every scope load would carry it.
    boundary: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True, deferred=True
    )
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    def is_within(self, other: AdminUnit) -> bool:
        """True if this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)
