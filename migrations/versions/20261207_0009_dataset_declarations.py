"""Dataset declarations live in the database, versioned.

``dataset_versions`` keeps every version of a dataset's declaration (the
city's forms/datasets.yaml block, then properties added by designers); a
submission merges under the version in force when it was received.
``datasets.version`` names the one in force, ``datasets.file_declaration`` the
file's block as last applied (re-applying an unchanged file is a no-op).
Existing rows get their first version the next time the file is applied
(``gridreg forms load`` or the demo).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

revision = "0009"
down_revision = "0006"
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


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("file_declaration")
        batch.drop_column("version")
    op.drop_index("ix_dataset_versions_dataset_id", table_name="dataset_versions")
    op.drop_table("dataset_versions")
