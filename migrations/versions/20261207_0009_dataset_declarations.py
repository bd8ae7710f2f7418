"""Dataset declarations live in the database, versioned.

``dataset_versions`` keeps every version of a dataset's declaration (the
city's forms/datasets.yaml block, then properties added by designers); a
submission merges under the version in force when it was received.
``datasets.version`` names the one in force, ``datasets.file_declaration`` the
file's block as last applied (re-applying an unchanged file is a no-op).
Datasets already loaded (from the file, on first use, before this revision)
get their first version here, from forms/datasets.yaml as shipped with this
code: it is what they were loaded from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from server.db import JsonType
from server.domain.declaration_rules import block_digest, read_blocks, to_stored

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("declaration", JsonType, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE",
                                name="fk_dataset_versions_dataset_id_datasets"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_dataset_versions_created_by_users"),
        sa.UniqueConstraint("dataset_id", "version", name="uq_dataset_versions_dataset_id"),
    )
    op.create_index("ix_dataset_versions_dataset_id", "dataset_versions", ["dataset_id"])
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("file_declaration", JsonType, nullable=True))
    _first_versions()


def _first_versions() -> None:
    datasets = sa.table("datasets", sa.column("id", sa.Integer), sa.column("name", sa.String),
                        sa.column("version", sa.Integer), sa.column("digest", sa.String),
                        sa.column("file_declaration", JsonType))
    versions = sa.table("dataset_versions", sa.column("dataset_id", sa.Integer), sa.column("version", sa.Integer),
                        sa.column("declaration", JsonType), sa.column("digest", sa.String),
                        sa.column("source", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
    conn = op.get_bind()
    existing = conn.execute(sa.select(datasets.c.id, datasets.c.name)).all()
    if not existing:
        return
    blocks = read_blocks()
    now = datetime.now(UTC)
    for dataset_id, name in existing:
        block = blocks.get(name)
        if block is None:
            continue
        digest = block_digest(block)
        conn.execute(versions.insert().values(dataset_id=dataset_id, version=1, declaration=to_stored(block),
                                              digest=digest,
                                              source="file", created_at=now))
        conn.execute(datasets.update().where(datasets.c.id == dataset_id)
                     .values(version=1, digest=digest, file_declaration=to_stored(block)))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("file_declaration")
        batch.drop_column("version")
    op.drop_index("ix_dataset_versions_dataset_id", table_name="dataset_versions")
    op.drop_table("dataset_versions")
