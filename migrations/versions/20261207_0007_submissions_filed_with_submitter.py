"""Submissions made outside their submitter's scope are filed under the submitter's own unit.

Intake used to file such a submission under the grid where its point lay, so
the submitter's own supervisor could not see it and only the other area did.
Intake now files it under the submitter's first scope unit (flagged
``outside_scope``) and keeps the grid where it was made in the new
``located_path``, so that area still sees it. This revision adds the column
and re-files the rows received before by the same rule: their old filing is
where they were made. ``unit_id``, ``unit_path`` and ``located_path`` are not
among the columns the immutability trigger guards (revision 0006).

Downgrade drops the column and leaves the rows filed where they are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FIRST_SCOPE = (
    "SELECT {column} FROM user_scopes JOIN admin_units ON admin_units.id = user_scopes.unit_id "
    "WHERE user_scopes.user_id = submissions.submitter_id ORDER BY user_scopes.id LIMIT 1"
)
# Flagged outside, still filed outside every unit of the submitter's scope, and the submitter has one.
_FILED_OUTSIDE = """
    flag_names LIKE '%,outside_scope,%'
    AND EXISTS (SELECT 1 FROM user_scopes WHERE user_scopes.user_id = submissions.submitter_id)
    AND NOT EXISTS (
        SELECT 1 FROM user_scopes JOIN admin_units ON admin_units.id = user_scopes.unit_id
        WHERE user_scopes.user_id = submissions.submitter_id
          AND substr(submissions.unit_path, 1, length(admin_units.path)) = admin_units.path)
"""


def upgrade() -> None:
    op.add_column("submissions", sa.Column("located_path", sa.String(512), nullable=True))
    op.create_index("ix_submissions_located_path", "submissions", ["located_path"])
    op.execute(f"UPDATE submissions SET located_path = unit_path WHERE {_FILED_OUTSIDE}")
    op.execute(
        f"""
        UPDATE submissions
        SET unit_id = ({_FIRST_SCOPE.format(column="admin_units.id")}),
            unit_path = ({_FIRST_SCOPE.format(column="admin_units.path")})
        WHERE {_FILED_OUTSIDE}
        """
    )


def downgrade() -> None:
    op.drop_index("ix_submissions_located_path", table_name="submissions")
    op.drop_column("submissions", "located_path")
