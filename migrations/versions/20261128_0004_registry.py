"""Registry: datasets, entities, versions, events (change feed), duplicate candidates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from server.db import JsonType

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
# Byte-wise comparison on PostgreSQL: the (unit_path, id) index serves prefix LIKE and ORDER BY.
PathType = sa.String(512).with_variant(sa.String(512, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label_zh", sa.String(100), nullable=False),
        sa.Column("label_en", sa.String(100), nullable=False),
        sa.Column("label_property", sa.String(64), nullable=False),
        sa.Column("properties", JsonType, nullable=False),
        sa.Column("identity", JsonType, nullable=False),
        sa.Column("placement", JsonType, nullable=False),
        sa.Column("merge_requires_approval", sa.Boolean, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("name", name="uq_datasets_name"),
    )
    op.create_table(
        "entities",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("properties", JsonType, nullable=False),
        sa.Column("sealed", JsonType, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("unit_path", PathType, nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=True),
        sa.Column("geometry", Geometry("POINT", srid=4326, spatial_index=False), nullable=True),
        sa.Column("merged_into_id", BigId, sa.ForeignKey("entities.id"), nullable=True),
        sa.Column("conflict", sa.String(8), nullable=True),
        sa.Column("name_key", sa.String(100), nullable=True),
        sa.Column("name_pinyin", sa.String(200), nullable=True),
        sa.Column("name_initials", sa.String(50), nullable=True),
        sa.Column("block_key", sa.String(64), nullable=True),
        sa.Column("birth_date", sa.String(10), nullable=True),
        sa.Column("origin_code", sa.String(12), nullable=True),
        sa.Column("ethnicity", sa.String(4), nullable=True),
        sa.Column("arrival_date", sa.String(10), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("uuid", name="uq_entities_uuid"),
    )
    op.create_index("ix_entities_unit_path", "entities", ["unit_path", "id"])
    op.create_index(
        "ix_entities_name_pinyin",
        "entities",
        ["dataset_id", "name_pinyin"],
        postgresql_ops={"name_pinyin": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_entities_name_initials",
        "entities",
        ["dataset_id", "name_initials"],
        postgresql_ops={"name_initials": "varchar_pattern_ops"},
    )
    op.create_index("ix_entities_name_key", "entities", ["dataset_id", "name_key"])
    op.create_index("ix_entities_block_key", "entities", ["dataset_id", "block_key"])
    op.create_index("ix_entities_id_hash", "entities", ["dataset_id", "id_hash"])
    op.create_index("ix_entities_phone_hash", "entities", ["dataset_id", "phone_hash"])
    op.create_index("ix_entities_birth_origin", "entities", ["dataset_id", "birth_date", "origin_code"])
    op.create_index("ix_entities_merged_into_id", "entities", ["merged_into_id"])
    op.create_index("ix_entities_ethnicity", "entities", ["ethnicity"])
    op.create_index("ix_entities_arrival_date", "entities", ["arrival_date"])

    op.create_table(
        "entity_versions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("entity_id", BigId, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("properties", JsonType, nullable=False),
        sa.Column("sealed", JsonType, nullable=False),
        sa.Column("changed", JsonType, nullable=False),
        sa.Column("unit_path", sa.String(512), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=True),
        sa.Column("conflict", sa.String(8), nullable=True),
        sa.Column("conflict_detail", JsonType, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("entity_id", "version", name="uq_entity_versions_entity_id"),
    )
    op.create_index("ix_entity_versions_entity_id", "entity_versions", ["entity_id"])
    op.create_index("ix_entity_versions_source_id", "entity_versions", ["source_id"])
    op.create_index("ix_entity_versions_conflict", "entity_versions", ["conflict"])

    op.create_table(
        "registry_events",
        sa.Column("cursor", BigId, primary_key=True, autoincrement=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("entity_id", BigId, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("unit_path", sa.String(512), nullable=False),
        sa.Column("previous_unit_path", sa.String(512), nullable=True),
        sa.Column("event_date", sa.String(10), nullable=True),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=True),
        sa.Column("detail", JsonType, nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_registry_events_dataset_id", "registry_events", ["dataset_id", "cursor"])
    op.create_index("ix_registry_events_entity_id", "registry_events", ["entity_id"])

    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("entity_a_id", BigId, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("entity_b_id", BigId, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", JsonType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("path_a", sa.String(512), nullable=False),
        sa.Column("path_b", sa.String(512), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("survivor_id", BigId, sa.ForeignKey("entities.id"), nullable=True),
        sa.Column("snapshot", JsonType, nullable=True),
        sa.Column("resolved_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("entity_a_id", "entity_b_id", name="uq_duplicate_candidates_entity_a_id"),
    )
    op.create_index("ix_duplicate_candidates_dataset_id", "duplicate_candidates", ["dataset_id"])
    op.create_index("ix_duplicate_candidates_entity_b_id", "duplicate_candidates", ["entity_b_id"])
    op.create_index("ix_duplicate_candidates_status", "duplicate_candidates", ["status"])

    op.create_table(
        "registry_sources",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("entity_id", BigId, sa.ForeignKey("entities.id"), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("source_key", name="uq_registry_sources_source_key"),
    )


def downgrade() -> None:
    for table in ("registry_sources", "duplicate_candidates", "registry_events", "entity_versions"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("SELECT DiscardGeometryColumn('entities', 'geometry')")
    op.drop_table("entities")
    op.drop_table("datasets")
