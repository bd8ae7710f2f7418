"""Submissions carry their own job state: attempts and when to retry, and an index of the pending ones.

Job processes claim received and validated submissions straight from the
table in batches (``FOR UPDATE SKIP LOCKED``) instead of one queued job per
submission. An unexpected failure is kept on the row: ``attempts`` counts the
failed tries and ``retry_at`` holds the next one back (backoff). The partial
index holds only the submissions still on their way (received or validated),
so a claim reads a few index entries however many merged submissions are
stored.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

NAME = "ix_submissions_pending"
PENDING = "status IN ('received', 'validated')"


def upgrade() -> None:
    op.add_column("submissions", sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("submissions", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(NAME, "submissions", ["status", "id"], postgresql_where=sa.text(PENDING),
                    sqlite_where=sa.text(PENDING))


def downgrade() -> None:
    op.drop_index(NAME, "submissions")
    op.drop_column("submissions", "retry_at")
    op.drop_column("submissions", "attempts")
