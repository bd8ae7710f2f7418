"""Submissions made outside their submitter's scope are filed under the submitter's own unit.

Intake used to file such a submission under the grid where its point lay, so
the submitter's own supervisor could not see it and only the other area did.
Intake now files it under the submitter's first scope unit (flagged
``outside_scope`` with the grid where it was made); this revision re-files the
rows received before, by the same rule. ``unit_id`` and ``unit_path`` are not
among the columns the immutability trigger guards (revision 0006).

Downgrade leaves the rows where they are: the new filing is the correct one,
and the grid each was made in stays in its ``outside_scope`` flag.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FIRST_SCOPE = (
    "SELECT {column} FROM user_scopes JOIN admin_units ON admin_units.id = user_scopes.unit_id "
    "WHERE user_scopes.user_id = submissions.submitter_id ORDER BY user_scopes.id LIMIT 1"
)


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE submissions
        SET unit_id = ({_FIRST_SCOPE.format(column="admin_units.id")}),
            unit_path = ({_FIRST_SCOPE.format(column="admin_units.path")})
        WHERE flag_names LIKE '%,outside_scope,%'
          AND EXISTS (SELECT 1 FROM user_scopes WHERE user_scopes.user_id = submissions.submitter_id)
          AND NOT EXISTS (
              SELECT 1 FROM user_scopes JOIN admin_units ON admin_units.id = user_scopes.unit_id
              WHERE user_scopes.user_id = submissions.submitter_id
                AND substr(submissions.unit_path, 1, length(admin_units.path)) = admin_units.path)
        """
    )


def downgrade() -> None:
    pass
