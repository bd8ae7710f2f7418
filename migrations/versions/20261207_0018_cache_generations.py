"""Cache generations: one counter per kind of hot row, bumped by triggers with every change.

Web processes cache the caller's identity, form versions and the grid polygons
(server/cache.py). A counter row per kind (``accounts``, ``forms``, ``units``)
is bumped by a trigger in the same transaction as any change to the rows behind
it, whoever makes it; processes read the counters at most once a second and
drop what changed. Inserts of users and tokens do not bump ``accounts``: a new
row cannot be in any cache (misses are never cached).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# kind -> (table, the events that bump it)
WATCHED = {
    "accounts": (("users", ("UPDATE", "DELETE")), ("user_scopes", ("INSERT", "UPDATE", "DELETE")),
                 ("access_tokens", ("UPDATE", "DELETE")), ("login_throttles", ("INSERT", "UPDATE", "DELETE"))),
    "forms": (("forms", ("INSERT", "UPDATE", "DELETE")), ("form_versions", ("INSERT", "UPDATE", "DELETE"))),
    "units": (("admin_units", ("INSERT", "UPDATE", "DELETE")),),
}


def _triggers() -> list[tuple[str, str, str, str]]:
    return [(f"cache_gen_{table}_{event.lower()}", kind, table, event)
            for kind, tables in WATCHED.items() for table, events in tables for event in events]


def upgrade() -> None:
    op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO cache_generations (name, generation) VALUES ('accounts', 0), ('forms', 0), ('units', 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION bump_cache_generation() RETURNS trigger AS $$
            BEGIN
                UPDATE cache_generations SET generation = generation + 1 WHERE name = TG_ARGV[0];
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        for name, kind, table, event in _triggers():
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation('{kind}')")
    else:
        for name, kind, table, event in _triggers():
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
                       f"UPDATE cache_generations SET generation = generation + 1 WHERE name = '{kind}'; END")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, table, _ in _triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS bump_cache_generation()")
    op.drop_table("cache_generations")
