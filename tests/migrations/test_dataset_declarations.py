"""Revision 0009: datasets loaded before declarations were versioned get their first version from the file."""

from __future__ import annotations

import sqlalchemy as sa

from server import migrate
from server.domain.declaration_rules import block_digest, read_blocks
from tests.conftest import scratch_engine


def _check(engine):
    migrate.upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO datasets (name, label_zh, label_en, label_property, properties, identity, placement, "
            "merge_requires_approval, digest) VALUES ('persons', '人员', 'Persons', 'full_name', '[]', '{}', '{}', "
            ":yes, 'old')"), {"yes": True})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        version, digest = conn.execute(sa.text("SELECT version, digest FROM datasets WHERE name = 'persons'")).one()
        rows = conn.execute(sa.text("SELECT version, source, digest FROM dataset_versions")).all()
    assert version == 1 and digest == block_digest(read_blocks()["persons"])
    assert [tuple(r) for r in rows] == [(1, "file", digest)]
    migrate.downgrade(engine, "0008")
    engine.dispose()


def test_existing_datasets_get_their_first_version(backend, tmp_path, engine):
    with scratch_engine(backend, tmp_path, "mig0009") as fresh:
        _check(fresh)
