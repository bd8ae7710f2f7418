"""Submission flags as rows: the review queue's flag filter reads an index on both databases.

The queue filtered by flag with ``flag_names LIKE '%,low_accuracy,%'``, which no
index serves: at a million submissions a flag filter, and the capped counts per
review state under it, walked most of the table. Each flag a submission carries
is now a row of ``submission_flags`` (submission, flag, and the submission's
review state, so that a flag and a state are one index range for the counts),
written where the flags are written; ``submissions.flags`` keeps each flag's
details and ``flag_names`` goes. This revision fills the table from the stored flags and
rebuilds the counting index, which carried ``flag_names`` on PostgreSQL.

Downgrade puts ``flag_names`` back from the rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COUNTS = "ix_submissions_latest_counts"
COUNTS_COLUMNS = ["review_state", "status", "unit_path"]
COUNTS_INCLUDE = ["form_pk", "submitter_id", "received_at"]
FLAG_KEYS = {
    "postgresql": "SELECT id, jsonb_object_keys(flags), review_state FROM submissions WHERE flag_names <> ''",
    "sqlite": "SELECT submissions.id, flag.key, submissions.review_state "
              "FROM submissions, json_each(submissions.flags) AS flag WHERE submissions.flag_names <> ''",
}
FLAG_NAMES = {
    "postgresql": "(SELECT ',' || string_agg(flag, ',' ORDER BY flag) || ',' FROM submission_flags "
                  "WHERE submission_flags.submission_id = submissions.id)",
    "sqlite": "(SELECT ',' || group_concat(flag, ',') || ',' FROM (SELECT flag FROM submission_flags "
              "WHERE submission_flags.submission_id = submissions.id ORDER BY flag))",
}


def _counts_index(include: list[str]) -> None:
    op.create_index(COUNTS, "submissions", COUNTS_COLUMNS, postgresql_where=sa.text("superseded = false"),
                    sqlite_where=sa.text("superseded = 0"), postgresql_include=include)


def upgrade() -> None:
    op.create_table(
        "submission_flags",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("flag", sa.String(64), primary_key=True),
        sa.Column("review_state", sa.String(16), nullable=False),
    )
    op.create_index("ix_submission_flags_flag", "submission_flags", ["flag", "review_state", "submission_id"])
    dialect = op.get_bind().dialect.name
    op.execute(f"INSERT INTO submission_flags (submission_id, flag, review_state) {FLAG_KEYS[dialect]}")
    # Plain DROP COLUMN, no batch copy: a table copy on SQLite would unregister the SpatiaLite geometry
    # and drop the immutability trigger. PostgreSQL would drop the counting index with the column.
    op.drop_index(COUNTS, "submissions")
    op.drop_column("submissions", "flag_names")
    _counts_index(COUNTS_INCLUDE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index(COUNTS, "submissions")
    op.add_column("submissions", sa.Column("flag_names", sa.String(256), nullable=False, server_default=""))
    op.execute(f"UPDATE submissions SET flag_names = {FLAG_NAMES[dialect]} "
               "WHERE id IN (SELECT submission_id FROM submission_flags)")
    _counts_index([*COUNTS_INCLUDE, "flag_names"])
    op.drop_index("ix_submission_flags_flag", "submission_flags")
    op.drop_table("submission_flags")
