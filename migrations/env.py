"""Alembic environment: runs on the connection that ``server.migrate`` hands in.

The same revisions run unchanged on PostgreSQL+PostGIS and SQLite+SpatiaLite;
GeoAlchemy2's helpers create geometry columns and spatial indexes the way
each database wants them.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from server.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `gridreg db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=alembic_helpers.include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
