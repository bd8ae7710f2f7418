"""Forms and form versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "forms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("current_version_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("form_id", name="uq_forms_form_id"),
    )
    op.create_table(
        "form_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_pk", sa.Integer, sa.ForeignKey("forms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("definition", JsonType, nullable=False),
        sa.Column("xform_xml", sa.Text, nullable=False),
        sa.Column("xform_md5", sa.String(32), nullable=False),
        sa.Column("workbook", sa.LargeBinary, nullable=False),
        sa.Column("workbook_name", sa.String(255), nullable=False),
        sa.Column("workbook_sha256", sa.String(64), nullable=False),
        sa.Column("media_files", JsonType, nullable=False),
        sa.Column("dataset", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", TZ, nullable=True),
        sa.UniqueConstraint("form_pk", "version", name="uq_form_versions_form_pk"),
    )
    op.create_index("ix_form_versions_form_pk", "form_versions", ["form_pk"])
    with op.batch_alter_table("forms") as batch:
        batch.create_foreign_key("fk_forms_current_version_id_form_versions", "form_versions",
                                 ["current_version_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("forms") as batch:
        batch.drop_constraint("fk_forms_current_version_id_form_versions", type_="foreignkey")
    op.drop_table("form_versions")
    op.drop_table("forms")
