"""Importing admin units: all or nothing, every refused feature located."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.errors import RuleViolation
from server.geo.models import AdminUnit
from server.geo.service import distance_to_unit_m, grid_at, import_units


def _feature(code, level, parent, coords=None, name="单元"):
    coords = coords or [[[113.0, 34.0], [113.01, 34.0], [113.01, 34.01], [113.0, 34.01], [113.0, 34.0]]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": coords},
            "properties": {"code": code, "name": name, "level": level, "parent_code": parent}}


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_import_builds_paths_and_geometry(db):
    units = import_units(db, _fc(
        _feature("410184999", "township", "410184"),
        _feature("410184999001", "community", "410184999"),
        _feature("410184999001001", "grid", "410184999001"),
    ))
    assert [u.path for u in units] == ["/410184/410184999/", "/410184/410184999/410184999001/",
                                       "/410184/410184999/410184999001/410184999001001/"]
    assert grid_at(db, 113.005, 34.005).code == "410184999001001"


def test_children_may_come_before_parents_in_the_file(db):
    units = import_units(db, _fc(_feature("410184999001", "community", "410184999"),
                                 _feature("410184999", "township", "410184")))
    assert {u.code for u in units} == {"410184999", "410184999001"}


def test_bad_features_are_all_reported_and_nothing_is_imported(db):
    bowtie = [[[113.0, 34.0], [113.01, 34.01], [113.01, 34.0], [113.0, 34.01], [113.0, 34.0]]]
    before = db.scalar(select(func.count(AdminUnit.id)))
    with pytest.raises(RuleViolation) as err:
        import_units(db, _fc(
            _feature("410184998", "township", "410184"),            # fine on its own
            _feature("410184997", "township", "410184", bowtie),    # self-intersecting
            _feature("410184996001", "community", "410184996"),     # unknown parent
            _feature("410184998", "township", "410184"),            # duplicate in file
            _feature("410184001", "township", "410184"),            # exists already
            _feature("410184995", "grid", "410184"),                # wrong level under city
            {"type": "Feature", "properties": {"code": "x"}},       # no name/level
        ))
    errors = err.value.errors
    assert err.value.code == "geo.invalid_features"
    assert set(errors) == {f"features[{i}]" for i in range(1, 7)}
    assert "Self-intersection" in errors["features[1]"][0]
    assert "unknown parent_code 410184996" in errors["features[2]"]
    assert any("duplicate code" in m for m in errors["features[3]"])
    assert any("already exists" in m for m in errors["features[4]"])
    assert db.scalar(select(func.count(AdminUnit.id))) == before


def test_not_a_feature_collection(db):
    with pytest.raises(RuleViolation) as err:
        import_units(db, [1, 2])
    assert err.value.code == "geo.invalid_file"


def test_distance_to_grid_outside_is_positive(db):
    grid = grid_at(db, 113.74, 34.40)
    assert distance_to_unit_m(grid, 113.74, 34.40) == 0.0
    far = distance_to_unit_m(grid, 113.74, 34.50)
    assert 5_000 < far < 15_000
