"""Revision 0010 rewrites each current follow-up into the case shape, and back on downgrade."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from server import migrate
from tests.conftest import scratch_engine

OLD = {
    "a": {"title": "找工作", "kind": "need", "status": "open", "progress": "in_progress", "department": "hrss"},
    "b": {"title": "救助", "kind": "need", "status": "closed", "progress": "resolved", "closed_date": "2026-11-25",
          "department": "civil_affairs"},
    "c": {"title": "新事项", "kind": "appeal", "status": "open", "progress": "open"},
}
NEW = {
    "a": {"title": "找工作", "kind": "need", "status": "in_progress", "department": "hrss"},
    "b": {"title": "救助", "kind": "need", "status": "resolved", "resolved_date": "2026-11-25", "department": "civil"},
    "c": {"title": "新事项", "kind": "appeal", "status": "open"},
}


def _properties(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uuid, properties FROM entities ORDER BY uuid"))
        return {uuid: props if isinstance(props, dict) else json.loads(props) for uuid, props in rows}


def _check(engine: Any) -> None:
    migrate.upgrade(engine, "0009")
    meta = sa.MetaData()
    datasets = sa.Table("datasets", meta, autoload_with=engine)
    entities = sa.Table("entities", meta, autoload_with=engine)
    with engine.begin() as conn:
        dataset_id = conn.execute(datasets.insert().values(
            name="followups", label_zh="跟进事项", label_en="Follow-ups", label_property="title", properties=[],
            identity={}, placement={}, merge_requires_approval=False, digest="x").returning(datasets.c.id)).scalar()
        for uuid, props in OLD.items():
            conn.execute(entities.insert().values(uuid=uuid, dataset_id=dataset_id, label=props["title"],
                                                  properties=props, sealed={}, version=1, status="active",
                                                  unit_path="/410184/"))
    migrate.upgrade(engine)
    assert _properties(engine) == NEW
    migrate.downgrade(engine, "0009")
    assert _properties(engine) == OLD
    engine.dispose()


def test_follow_ups_become_cases_and_back(backend, tmp_path, engine):
    with scratch_engine(backend, tmp_path, "cases_migration") as fresh:
        _check(fresh)
