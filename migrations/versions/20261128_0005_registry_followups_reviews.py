"""Registry: follow-ups linked to their person, merge results per submission, placement reviews.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    # No batch copy on SQLite: entities carries a SpatiaLite geometry column, which a table copy would
    # unregister; SQLite accepts a REFERENCES clause on a nullable added column instead.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE entities ADD COLUMN followed_id INTEGER REFERENCES entities (id)")
    else:
        op.add_column("entities", sa.Column("followed_id", BigId, nullable=True))
        op.create_foreign_key("fk_entities_followed_id_entities", "entities", "entities", ["followed_id"], ["id"])
    op.create_index("ix_entities_followed_id", "entities", ["followed_id"])

    op.add_column("registry_sources", sa.Column("source_id", sa.String(100), nullable=True))
    op.add_column("registry_sources", sa.Column("dataset", sa.String(64), nullable=True))
    op.add_column("registry_sources", sa.Column("unit_path", sa.String(512), nullable=True))
    op.add_column("registry_sources", sa.Column("detail", JsonType, nullable=True))
    op.create_index("ix_registry_sources_source_id", "registry_sources", ["source_id"])

    op.create_table(
        "placement_reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("entity_id", BigId, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("path_from", sa.String(512), nullable=False),
        sa.Column("path_to", sa.String(512), nullable=False),
        sa.Column("grid_from", sa.String(32), nullable=True),
        sa.Column("grid_to", sa.String(32), nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=True),
        sa.Column("submitter_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("event_date", sa.String(10), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_placement_reviews_dataset_id", "placement_reviews", ["dataset_id"])
    op.create_index("ix_placement_reviews_entity_id", "placement_reviews", ["entity_id"])
    op.create_index("ix_placement_reviews_status", "placement_reviews", ["status"])


def downgrade() -> None:
    op.drop_table("placement_reviews")
    op.drop_index("ix_registry_sources_source_id", table_name="registry_sources")
    for column in ("detail", "unit_path", "dataset", "source_id"):
        op.drop_column("registry_sources", column)
    op.drop_index("ix_entities_followed_id", table_name="entities")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_entities_followed_id_entities", "entities", type_="foreignkey")
    # SQLite 3.35+ drops a column that no index or constraint other than its own REFERENCES uses.
    op.drop_column("entities", "followed_id")
