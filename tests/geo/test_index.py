"""The in-memory index of unit boundaries answers as the database does (ST_Contains, first grid by code)."""

from __future__ import annotations

import math

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import select, text

from server.demo import WORKER_POINT
from server.geo.index import load_index, unit_index
from server.geo.models import AdminUnit
from server.geo.service import distance_to_unit_m, grid_at


def _grids(db) -> list[AdminUnit]:
    return list(db.scalars(select(AdminUnit).where(AdminUnit.level == "grid", AdminUnit.boundary.is_not(None))
                           .order_by(AdminUnit.code)))


def _points(db) -> dict[str, tuple[float, float]]:
    home = grid_at(db, *WORKER_POINT)
    assert home is not None
    shape = to_shape(home.boundary)
    other = next(g for g in _grids(db) if g.id != home.id)
    west, south, east, north = shape.bounds
    return {
        "inside": WORKER_POINT,
        "in another grid": to_shape(other.boundary).representative_point().coords[0],
        "on a border": shape.exterior.coords[0] if shape.geom_type == "Polygon" else shape.geoms[0].exterior.coords[0],
        "just outside every grid": (max(to_shape(g.boundary).bounds[2] for g in _grids(db)) + 0.001, south),
        "far away": (0.0, 0.0),
    }


def test_the_grid_of_a_point_is_the_databases(db):
    index = load_index(db)
    points = _points(db)
    for where, (lon, lat) in points.items():
        expected = grid_at(db, lon, lat)
        found = index.grid_at(lon, lat)
        assert (found.code if found else None) == (expected.code if expected else None), where
    assert index.grid_at(*points["inside"]) is not None
    assert index.grid_at(*points["on a border"]) is None  # ST_Contains: a border point is in no grid
    assert index.grid_at(*points["far away"]) is None


@pytest.mark.parametrize("where", ["inside", "in another grid", "on a border", "just outside every grid", "far away"])
def test_distances_to_units_are_the_databases(db, where):
    index = load_index(db)
    lon, lat = _points(db)[where]
    units = list(db.scalars(select(AdminUnit).where(AdminUnit.boundary.is_not(None)).order_by(AdminUnit.code)
                            .limit(12)))
    for unit in units:
        expected = distance_to_unit_m(unit, lon, lat)
        assert math.isclose(index.distance_m(unit.id, lon, lat), expected, rel_tol=1e-9, abs_tol=1e-6), unit.code


def test_a_moved_boundary_is_seen_by_the_cached_index(db):
    from server.cache import Caches, install_caches

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    install_caches(db, Caches(clock=clock))
    home = grid_at(db, *WORKER_POINT)
    assert home is not None and unit_index(db).grid_at(*WORKER_POINT).code == home.code
    db.execute(text("UPDATE admin_units SET level = 'community' WHERE id = :id"), {"id": home.id})
    clock.now += 1.0
    moved = unit_index(db).grid_at(*WORKER_POINT)
    assert moved is None or moved.code != home.code
