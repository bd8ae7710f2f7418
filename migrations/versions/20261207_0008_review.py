"""Review: a supervisor's review state on each submission, and the review's comment thread.

``review_state`` (received, has_issues, approved, rejected, returned),
``review_version`` (counted up by every review change: the ETag) and
``superseded`` (set on a version once an edit replaces it) are not part of
what was received, so the immutability trigger, which names its fixed columns,
lets them change. Partial indexes over latest versions let the review queue
read its newest-first pages by index, overall and per review state, and count
per review state from one narrow index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
INDEXES = {
    "ix_submissions_latest_received_at": ["received_at", "id"],
    "ix_submissions_latest_review_state": ["review_state", "received_at", "id"],
    "ix_submissions_latest_counts": ["review_state", "status", "unit_path"],
}
COUNTS_INCLUDE = ["form_pk", "submitter_id", "received_at", "flag_names"]


def upgrade() -> None:
    # Plain ADD COLUMN, no batch copy: a table copy on SQLite would unregister the SpatiaLite geometry
    # and drop the immutability trigger.
    op.add_column("submissions", sa.Column("review_state", sa.String(16), nullable=False, server_default="received"))
    op.add_column("submissions", sa.Column("review_version", sa.Integer, nullable=False, server_default="0"))
    op.add_column("submissions", sa.Column("superseded", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE submissions SET superseded = true WHERE instance_id IN "
               "(SELECT deprecated_id FROM submissions WHERE deprecated_id IS NOT NULL)")
    for name, columns in INDEXES.items():
        op.create_index(name, "submissions", columns, postgresql_where=sa.text("superseded = false"),
                        sqlite_where=sa.text("superseded = 0"),
                        postgresql_include=COUNTS_INCLUDE if name.endswith("_counts") else [])
    op.create_table(
        "submission_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("review_state", sa.String(16), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_submission_comments_submission_id", "submission_comments", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_submission_comments_submission_id", "submission_comments")
    op.drop_table("submission_comments")
    for name in INDEXES:
        op.drop_index(name, "submissions")
    op.drop_column("submissions", "superseded")
    op.drop_column("submissions", "review_version")
    op.drop_column("submissions", "review_state")
