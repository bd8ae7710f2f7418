"""Migrations run down and up again on both databases and match the models."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import inspect

from server import migrate
from server.db import make_engine
from server.models import Base
from tests.conftest import drop_pg_database, fresh_pg_database, make_settings


def test_upgrade_downgrade_upgrade(backend, tmp_path, engine):
    """Round trip on a separate database so the session's seeded one is untouched."""
    if backend == "postgresql":
        _roundtrip_pg(tmp_path)
    else:
        _roundtrip(make_engine(make_settings(f"sqlite:///{tmp_path / 'mig.sqlite'}", tmp_path)))


def _roundtrip(fresh):
    migrate.upgrade(fresh)
    assert "admin_units" in inspect(fresh).get_table_names()
    migrate.downgrade(fresh, "base")
    assert "admin_units" not in inspect(fresh).get_table_names()
    migrate.upgrade(fresh)
    assert migrate.current_revision(fresh) is not None
    fresh.dispose()


def _roundtrip_pg(tmp_path):
    name = f"gridreg_migrations_{os.getpid()}"
    try:
        _roundtrip(make_engine(make_settings(fresh_pg_database(name), tmp_path)))
    finally:
        drop_pg_database(name)


def test_models_match_migrations(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "include_object": alembic_helpers.include_object, "compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    significant = [d for d in diff if not (isinstance(d, tuple) and d[0] in ("remove_table",)
                                           and _is_spatial_internal(d[1].name))]
    assert significant == []


def _is_spatial_internal(name: str) -> bool:
    prefixes = ("spatial_ref_sys", "geometry_columns", "idx_", "sql_statements_log", "spatialite_history",
                "views_geometry_columns", "virts_geometry_columns", "geom_cols_ref_sys", "spatial_ref_sys_aux",
                "SpatialIndex", "ElementaryGeometries", "KNN", "data_licenses", "layer_", "topology", "layer")
    return name.startswith(prefixes) or "geometry_columns" in name
