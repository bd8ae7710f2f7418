"""Webhooks: department subscriptions and their deliveries (dead letters included).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_webhook_subscriptions_user_id_users"),
                  nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.String(40), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("lease_until", _TZ, nullable=True),
        sa.Column("created_by", sa.Integer(),
                  sa.ForeignKey("users.id", name="fk_webhook_subscriptions_created_by_users"), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_webhook_subscriptions_user_id", "webhook_subscriptions", ["user_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("subscription_id", sa.Integer(),
                  sa.ForeignKey("webhook_subscriptions.id",
                                name="fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
                  nullable=False),
        sa.Column("event_cursor", sa.String(40), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("entity_uuid", sa.String(36), nullable=False),
        sa.Column("body_sealed", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TZ, nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("finished_at", _TZ, nullable=True),
    )
    op.create_index("ix_webhook_deliveries_subscription_status", "webhook_deliveries",
                    ["subscription_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_subscription_status", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_subscriptions_user_id", table_name="webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
