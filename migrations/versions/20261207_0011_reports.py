"""Monthly reports stored per period, unit and revision; indexes the report's queries use.

``monthly_reports`` holds each run's figures (never updated: a re-run writes
the next revision with what changed). The report reads a period's dated
events (``registry_events`` by dataset and event date), the records ever in
one unit (by unit path) and the versions written since the period began (by
``entity_versions.created_at``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

TZ = sa.DateTime(timezone=True)

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_start", sa.String(10), nullable=False),
        sa.Column("period_end", sa.String(10), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("unit_name", sa.String(200), nullable=False),
        sa.Column("unit_level", sa.String(16), nullable=False),
        sa.Column("unit_path", sa.String(512), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("figures", JsonType, nullable=False),
        sa.Column("children", JsonType, nullable=False),
        sa.Column("changes", JsonType, nullable=True),
        sa.Column("generated_by", sa.Integer(), sa.ForeignKey("users.id", name="fk_monthly_reports_generated_by_users"),
                  nullable=True),
        sa.Column("generated_at", TZ, nullable=False),
        sa.UniqueConstraint("period", "unit_code", "revision", name="uq_monthly_reports_period"),
    )
    op.create_index("ix_monthly_reports_unit_path", "monthly_reports", ["period", "unit_path"])
    op.create_index("ix_entity_versions_created_at", "entity_versions", ["created_at"])
    op.create_index("ix_registry_events_event_date", "registry_events", ["dataset_id", "event_date"])
    op.create_index("ix_registry_events_unit_path", "registry_events", ["unit_path", "dataset_id"],
                    postgresql_ops={"unit_path": "varchar_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_registry_events_unit_path", table_name="registry_events")
    op.drop_index("ix_registry_events_event_date", table_name="registry_events")
    op.drop_index("ix_entity_versions_created_at", table_name="entity_versions")
    op.drop_index("ix_monthly_reports_unit_path", table_name="monthly_reports")
    op.drop_table("monthly_reports")
