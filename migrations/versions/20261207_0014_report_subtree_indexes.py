"""Indexes that let one township's monthly report read only its own unit paths and its own people.

A unit's report reads the residence events filed under its paths, then, for the
people it finds, whether a later residence event took them away, whether they
arrived in the last 90 days and their recent versions (visits). Residence events
(created, moved, departed, returned, merged, unmerged) are a small share of all
events, so two partial indexes over them, carrying on PostgreSQL the columns the
report reads, answer by path and by person without visiting the table. Moves
out of a unit are found by their previous path; a unit's visits and one
person's recent versions by unit path or person and creation time.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

RESIDENCE_ONLY = sa.text("kind IN ('created', 'moved', 'departed', 'returned', 'merged', 'unmerged')")
MOVES_ONLY = sa.text("previous_unit_path IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_registry_events_residence_path", "registry_events", ["unit_path", "dataset_id"],
                    postgresql_ops={"unit_path": "varchar_pattern_ops"},
                    postgresql_include=["entity_id", "cursor", "kind", "event_date", "at", "previous_unit_path"],
                    postgresql_where=RESIDENCE_ONLY, sqlite_where=RESIDENCE_ONLY)
    op.create_index("ix_registry_events_residence_entity", "registry_events", ["entity_id", "cursor"],
                    postgresql_include=["dataset_id", "kind", "event_date", "at"],
                    postgresql_where=RESIDENCE_ONLY, sqlite_where=RESIDENCE_ONLY)
    op.create_index("ix_registry_events_previous_unit_path", "registry_events", ["previous_unit_path", "dataset_id"],
                    postgresql_ops={"previous_unit_path": "varchar_pattern_ops"},
                    postgresql_include=["unit_path", "kind", "event_date", "at"],
                    postgresql_where=MOVES_ONLY, sqlite_where=MOVES_ONLY)
    op.drop_index("ix_entity_versions_entity_id", table_name="entity_versions")
    op.create_index("ix_entity_versions_entity_id", "entity_versions", ["entity_id", "created_at"])
    op.create_index("ix_entity_versions_unit_path", "entity_versions", ["unit_path", "created_at"],
                    postgresql_ops={"unit_path": "varchar_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_entity_versions_unit_path", table_name="entity_versions")
    op.drop_index("ix_entity_versions_entity_id", table_name="entity_versions")
    op.create_index("ix_entity_versions_entity_id", "entity_versions", ["entity_id"])
    op.drop_index("ix_registry_events_previous_unit_path", table_name="registry_events")
    op.drop_index("ix_registry_events_residence_entity", table_name="registry_events")
    op.drop_index("ix_registry_events_residence_path", table_name="registry_events")
