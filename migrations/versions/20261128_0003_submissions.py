"""Submissions and their attachments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from server.db import JsonType

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# What a submission was when it arrived; only status, flags, errors and validated_at change later.
IMMUTABLE = ("instance_id", "root_id", "deprecated_id", "form_pk", "form_version_id", "submitter_id", "raw_format",
             "raw_sha256", "raw_size", "content_sha256", "data", "meta", "received_at")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.String(64), nullable=False),
        sa.Column("root_id", sa.String(64), nullable=False),
        sa.Column("deprecated_id", sa.String(64), nullable=True),
        sa.Column("form_pk", sa.Integer, sa.ForeignKey("forms.id"), nullable=False),
        sa.Column("form_version_id", sa.Integer, sa.ForeignKey("form_versions.id"), nullable=False),
        sa.Column("submitter_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raw_format", sa.String(8), nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False),
        sa.Column("raw_size", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("data", JsonType, nullable=False),
        sa.Column("meta", JsonType, nullable=False),
        sa.Column("device_id", sa.String(128), nullable=True),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=True), nullable=True),
        sa.Column("altitude_m", sa.Float, nullable=True),
        sa.Column("accuracy_m", sa.Float, nullable=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("admin_units.id"), nullable=True),
        sa.Column("unit_path", sa.String(512), nullable=False),
        sa.Column("flags", JsonType, nullable=False),
        sa.Column("flag_names", sa.String(256), nullable=False),
        sa.Column("errors", JsonType, nullable=False),
        sa.Column("validated_at", TZ, nullable=True),
        sa.UniqueConstraint("instance_id", name="uq_submissions_instance_id"),
        sa.UniqueConstraint("deprecated_id", name="uq_submissions_deprecated_id"),
    )
    for column in ("root_id", "form_pk", "form_version_id", "submitter_id", "status", "received_at",
                   "unit_id", "unit_path"):
        op.create_index(f"ix_submissions_{column}", "submissions", [column])

    op.create_table(
        "submission_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("field", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.Integer, nullable=True),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.Column("received_at", TZ, nullable=True),
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("height", sa.Integer, nullable=True),
        sa.Column("taken_at", sa.String(32), nullable=True),
        sa.Column("gps_lon", sa.Float, nullable=True),
        sa.Column("gps_lat", sa.Float, nullable=True),
        sa.Column("exif", JsonType, nullable=True),
        sa.Column("derivatives", sa.String(16), nullable=False),
        sa.Column("display_sha256", sa.String(64), nullable=True),
        sa.Column("thumb_sha256", sa.String(64), nullable=True),
        sa.UniqueConstraint("submission_id", "name", name="uq_submission_attachments_submission_id"),
    )
    op.create_index("ix_submission_attachments_submission_id", "submission_attachments", ["submission_id"])
    op.create_index("ix_submission_attachments_sha256", "submission_attachments", ["sha256"])
    _create_immutability_trigger()


def _create_immutability_trigger() -> None:
    """Refuse any UPDATE that changes what was received: edits are new rows."""
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in IMMUTABLE)
        op.execute(
            f"""
            CREATE FUNCTION submissions_immutable() RETURNS trigger AS $$
            BEGIN
                IF {changed} THEN
                    RAISE EXCEPTION 'submissions are never changed in place';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute("CREATE TRIGGER submissions_immutable BEFORE UPDATE ON submissions "
                   "FOR EACH ROW EXECUTE FUNCTION submissions_immutable()")
    else:
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in IMMUTABLE)
        op.execute(f"CREATE TRIGGER submissions_immutable BEFORE UPDATE ON submissions WHEN {changed} "
                   "BEGIN SELECT RAISE(ABORT, 'submissions are never changed in place'); END")


def downgrade() -> None:
    op.drop_table("submission_attachments")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS submissions_immutable ON submissions")
        op.execute("DROP FUNCTION IF EXISTS submissions_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS submissions_immutable")
    if op.get_bind().dialect.name == "sqlite":
        # SpatiaLite keeps the spatial index and geometry registration apart from the table.
        op.execute("SELECT DisableSpatialIndex('submissions', 'location')")
        op.execute("DROP TABLE IF EXISTS idx_submissions_location")
        op.execute("SELECT DiscardGeometryColumn('submissions', 'location')")
    op.drop_table("submissions")
