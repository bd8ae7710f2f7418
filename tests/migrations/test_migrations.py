"""Migrations run down and up again on both databases and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import inspect

from server import migrate
from server.geo.models import AdminUnit
from server.models import Base
from tests.conftest import scratch_engine


def test_upgrade_downgrade_upgrade(backend, tmp_path, engine):
    """Round trip on a separate database so the session's seeded one is untouched."""
    with scratch_engine(backend, tmp_path, "migrations") as fresh:
        _roundtrip(fresh)


def _roundtrip(fresh):
    migrate.upgrade(fresh)
    assert "admin_units" in inspect(fresh).get_table_names()
    migrate.downgrade(fresh, "base")
    assert "admin_units" not in inspect(fresh).get_table_names()
    migrate.upgrade(fresh)
    assert migrate.current_revision(fresh) is not None
    fresh.dispose()


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


def test_0007_files_earlier_outside_submissions_under_their_submitter(db, settings, monkeypatch):
    """Rows filed under the grid where they were made (before 0007) move to the submitter's own unit."""
    import importlib

    import sqlalchemy as sa
    from alembic.operations import Operations
    from sqlalchemy import select, update

    from server.submissions.models import Submission
    from tests.submissions.support import publish_registration, registration_data, submit_as_worker

    version = publish_registration(db, monkeypatch)

    def submit(location):
        return submit_as_worker(db, settings, version, registration_data(photo=None, location=location))

    home, away = submit("34.4 113.74 0 5"), submit("34.3 113.6 0 5")
    own_grid = home.unit
    made_in = away.flags["outside_scope"]["grid"]
    made_in_unit = db.scalar(select(AdminUnit).where(AdminUnit.code == made_in))
    db.execute(update(Submission).where(Submission.id == away.id)  # how intake filed it before
               .values(unit_id=made_in_unit.id, unit_path=made_in_unit.path, located_path=None))
    db.flush()
    revision = importlib.import_module("migrations.versions.20261207_0007_submissions_filed_with_submitter")
    with Operations.context(MigrationContext.configure(db.connection())) as op:
        op.drop_index("ix_submissions_located_path", table_name="submissions")  # as before 0007
        op.drop_index("ix_submissions_latest_scope", table_name="submissions")  # as before 0019
        op.drop_column("submissions", "located_path")
        op.add_column("submissions", sa.Column("flag_names", sa.String(256), nullable=False, server_default=""))
        db.execute(sa.text("UPDATE submissions SET flag_names = ',outside_scope,' WHERE id = :id"), {"id": away.id})
        revision.upgrade()
        op.drop_column("submissions", "flag_names")  # as since 0016
    db.expire_all()
    assert [(s.unit_id, s.unit_path, s.located_path)
            for s in db.scalars(select(Submission).order_by(Submission.id))] == [
        (own_grid.id, own_grid.path, None), (own_grid.id, own_grid.path, made_in_unit.path)]


def test_0016_flag_rows_come_from_the_flags_and_go_back_to_flag_names(db, settings, monkeypatch):
    """Upgrade fills submission_flags from each submission's flags; downgrade restores flag_names from them."""
    import importlib

    from alembic.operations import Operations
    from sqlalchemy import select, text

    from server.submissions.models import Submission, SubmissionFlag
    from tests.submissions.support import publish_registration, registration_data, submit_as_worker

    version = publish_registration(db, monkeypatch)

    def submit(location):
        return submit_as_worker(db, settings, version, registration_data(photo=None, location=location))

    plain, away, both = submit("34.4 113.74 0 5"), submit("34.3 113.6 0 5"), submit("34.3 113.6 0 45")
    db.flush()
    db.execute(text("UPDATE submissions SET review_state = 'returned' WHERE id = :id"), {"id": away.id})
    revision = importlib.import_module("migrations.versions.20261207_0016_submission_flags")
    ids = [plain.id, away.id, both.id]
    with Operations.context(MigrationContext.configure(db.connection())):
        revision.downgrade()
        names = db.execute(text("SELECT flag_names FROM submissions ORDER BY id")).scalars().all()
        assert names == ["", ",outside_scope,", ",low_accuracy,outside_scope,"]
        assert "submission_flags" not in inspect(db.connection()).get_table_names()
        revision.upgrade()
    rows = db.execute(select(SubmissionFlag.submission_id, SubmissionFlag.flag, SubmissionFlag.review_state)
                      .order_by(SubmissionFlag.submission_id, SubmissionFlag.flag)).all()
    assert [tuple(r) for r in rows] == [(ids[1], "outside_scope", "returned"), (ids[2], "low_accuracy", "received"),
                                        (ids[2], "outside_scope", "received")]
    assert "flag_names" not in {c["name"] for c in inspect(db.connection()).get_columns("submissions")}
    assert db.scalar(select(Submission.id).where(Submission.id.in_(
        select(SubmissionFlag.submission_id).where(SubmissionFlag.flag == "low_accuracy")))) == ids[2]
