"""Submissions: key rotation may reseal sealed answers and the raw file, and nothing else.

The immutability trigger refused every change to what was received. Sealed
answers (``{"$sealed": token}`` in ``data``) and the sealed raw file
(``raw_sha256``, ``raw_size``) must move to a new key when the encryption key
rotates: the same plaintext under new ciphertext. The trigger now lets those
three columns change only while a row of ``submission_reseals`` exists, which
the reseal step inserts and deletes inside its own transaction, so no other
transaction ever sees it (PostgreSQL: uncommitted; SQLite: one writer at a time).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FIXED = ("instance_id", "root_id", "deprecated_id", "form_pk", "form_version_id", "submitter_id", "raw_format",
         "content_sha256", "meta", "received_at")
RESEALABLE = ("raw_sha256", "raw_size", "data")
ALL = FIXED + RESEALABLE


def upgrade() -> None:
    op.create_table("submission_reseals", sa.Column("id", sa.Integer, primary_key=True))
    _replace_trigger(FIXED, RESEALABLE)


def downgrade() -> None:
    _replace_trigger(ALL, ())
    op.drop_table("submission_reseals")


def _replace_trigger(fixed: tuple[str, ...], resealable: tuple[str, ...]) -> None:
    resealing = "EXISTS (SELECT 1 FROM submission_reseals)"
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in fixed)
        if resealable:
            moved = " OR ".join(f"OLD.{c}::text IS DISTINCT FROM NEW.{c}::text" for c in resealable)
            changed += f" OR (({moved}) AND NOT {resealing})"
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION submissions_immutable() RETURNS trigger AS $$
            BEGIN
                IF {changed} THEN
                    RAISE EXCEPTION 'submissions are never changed in place';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        return
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in fixed)
    if resealable:
        moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in resealable)
        changed += f" OR (({moved}) AND NOT {resealing})"
    op.execute("DROP TRIGGER IF EXISTS submissions_immutable")
    op.execute(f"CREATE TRIGGER submissions_immutable BEFORE UPDATE ON submissions WHEN {changed} "
               "BEGIN SELECT RAISE(ABORT, 'submissions are never changed in place'); END")
