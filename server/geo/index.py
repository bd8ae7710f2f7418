"""The units' boundaries in memory: which grid contains a point, how far a point is from a unit.

Every geotagged submission asks which grid its point lies in and, when that is
outside the submitter's scope, how far it is from their units. Asking the
database meant a spatial query per point and decoding a district's polygon
per scope unit (a sixth of intake's CPU). The boundaries change a few times a
year, so each process loads them once into Shapely prepared geometries with an
STRtree over the grids, kept in the ``units`` cache (server/cache.py): any
change to ``admin_units`` reloads them within a second, in every process.

The answers are the database's: ``contains`` is the DE-9IM predicate of
``ST_Contains`` (a point on a border is in neither grid), and when grids
overlap the one first by code wins, as the query's ``ORDER BY code`` had it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import to_shape
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.cache import caches_for
from server.geo.models import AdminUnit, UnitLevel

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit as intake files a submission under it."""

    id: int
    code: str
    path: str


def distance_to_shape_m(geom: BaseGeometry, lon: float, lat: float) -> float:
    """Approximate distance in metres from the point to the geometry's boundary (0 inside)."""
    point = Point(lon, lat)
    if geom.contains(point):
        return 0.0
    nearest = geom.boundary.interpolate(geom.boundary.project(point))
    dx = math.radians(nearest.x - lon) * math.cos(math.radians(lat)) * EARTH_RADIUS_M
    dy = math.radians(nearest.y - lat) * EARTH_RADIUS_M
    return math.hypot(dx, dy)


class UnitIndex:
    """Every unit's boundary, and the grids in an STRtree with prepared geometries."""

    def __init__(self, rows: list[tuple[UnitRef, str, BaseGeometry | None]]) -> None:
        self._shapes: dict[int, BaseGeometry] = {ref.id: geom for ref, _, geom in rows if geom is not None}
        grids = sorted(((ref, geom) for ref, level, geom in rows if level == UnitLevel.GRID.value and geom is not None),
                       key=lambda item: item[0].code)
        self._grids: list[UnitRef] = [ref for ref, _ in grids]
        self._prepared: list[PreparedGeometry] = [prep(geom) for _, geom in grids]
        self._tree = STRtree([geom for _, geom in grids])

    def grid_at(self, lon: float, lat: float) -> UnitRef | None:
        """The grid whose boundary contains the point (the first by code), or None."""
        point = Point(lon, lat)
        hits = sorted(int(i) for i in self._tree.query(point))  # the grids are in code order
        return next((self._grids[i] for i in hits if self._prepared[i].contains(point)), None)

    def distance_m(self, unit_id: int, lon: float, lat: float) -> float:
        """Metres from the point to the unit (0 inside); NaN for a unit without a boundary."""
        geom = self._shapes.get(unit_id)
        return distance_to_shape_m(geom, lon, lat) if geom is not None else float("nan")


_ALL_UNITS = select(AdminUnit.id, AdminUnit.code, AdminUnit.path, AdminUnit.level, AdminUnit.boundary)


def load_index(session: Session) -> UnitIndex:
    """Every unit's boundary, read from the database."""
    rows: list[tuple[UnitRef, str, Any]] = [
        (UnitRef(row.id, row.code, row.path), row.level, to_shape(row.boundary) if row.boundary is not None else None)
        for row in session.execute(_ALL_UNITS)]
    return UnitIndex(rows)


def unit_index(session: Session) -> UnitIndex:
    """The process's index of the units, loaded again within a second of any change to them."""
    cache = caches_for(session).units
    found: UnitIndex | None = cache.get(session, "index")
    if found is None:
        found = load_index(session)
        cache.put(session, "index", found)
    return found
