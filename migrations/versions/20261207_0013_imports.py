"""Bulk imports: one row per uploaded file and one report line per data row.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", _BIG_ID, nullable=False),
        sa.Column("encoding", sa.String(16), nullable=True),
        sa.Column("mapping", JsonType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("next_row", sa.Integer(), nullable=False),
        sa.Column("counts", JsonType, nullable=False),
        sa.Column("error", JsonType, nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_imports_created_by_users"),
                  nullable=True),
        sa.Column("created_at", _TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", _TZ, nullable=True),
    )
    op.create_index("ix_imports_sha256", "imports", ["sha256"])
    op.create_index("ix_imports_status", "imports", ["status"])
    op.create_table(
        "import_rows",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id", name="fk_import_rows_import_id_imports"),
                  nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("entity_uuid", sa.String(36), nullable=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("detail", JsonType, nullable=True),
        sa.UniqueConstraint("import_id", "row_number", name="uq_import_rows_import_id"),
    )


def downgrade() -> None:
    op.drop_table("import_rows")
    op.drop_index("ix_imports_status", table_name="imports")
    op.drop_index("ix_imports_sha256", table_name="imports")
    op.drop_table("imports")
