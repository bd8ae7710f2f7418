"""Review: a supervisor's review state on each submission, and the review's comment thread.

``review_state`` (received, has_issues, approved, rejected, returned) and
``review_version`` (counted up by every review change: the ETag) are not part
of what was received, so the immutability trigger, which names its fixed
columns, lets them change. Three (…, received_at, id) indexes let the review
queue read its newest-first pages by index, overall, per review state and per form.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
INDEXES = {
    "ix_submissions_received_at_id": ["received_at", "id"],
    "ix_submissions_review_state_received_at": ["review_state", "received_at", "id"],
    "ix_submissions_form_pk_received_at": ["form_pk", "received_at", "id"],
}


def upgrade() -> None:
    # Plain ADD COLUMN, no batch copy: a table copy on SQLite would unregister the SpatiaLite geometry
    # and drop the immutability trigger.
    op.add_column("submissions", sa.Column("review_state", sa.String(16), nullable=False, server_default="received"))
    op.add_column("submissions", sa.Column("review_version", sa.Integer, nullable=False, server_default="0"))
    for name, columns in INDEXES.items():
        op.create_index(name, "submissions", columns)
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
    op.drop_column("submissions", "review_version")
    op.drop_column("submissions", "review_state")
