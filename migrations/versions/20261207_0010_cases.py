"""Follow-ups become cases: one status from open to closed, a resolved date, department code ``civil``.

Before, a follow-up had ``status`` (open / closed: whether it moves with its
person) and ``progress`` (open / in_progress / resolved) side by side, and the
follow-up form wrote the day it was resolved as ``closed_date``. Now
``status`` runs open -> in_progress -> resolved -> closed and a department
closes a resolved case, so each current follow-up is rewritten: progress
in_progress becomes status in_progress, a closed one becomes resolved with
its ``resolved_date``, and 民政 is routed as ``civil``. Past versions keep
what was written then. No table changes.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from server.db import JsonType

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

datasets = sa.table("datasets", sa.column("id", sa.Integer), sa.column("name", sa.String))
entities = sa.table("entities", sa.column("id", sa.Integer), sa.column("dataset_id", sa.Integer),
                    sa.column("properties", JsonType))


def to_case(props: dict[str, Any]) -> dict[str, Any]:
    """An old follow-up's properties in the case shape."""
    out = dict(props)
    progress = out.pop("progress", None)
    if out.get("status") == "closed":
        out["status"] = "resolved"
        if "closed_date" in out:
            out["resolved_date"] = out.pop("closed_date")
    elif progress in ("in_progress", "resolved"):
        out["status"] = progress
    if out.get("department") == "civil_affairs":
        out["department"] = "civil"
    return out


def from_case(props: dict[str, Any]) -> dict[str, Any]:
    """A case's properties in the old follow-up shape (kinds and fields the old shape lacks are dropped)."""
    out = {k: v for k, v in props.items() if k not in ("assignee", "opened_date", "resolved_date")}
    status = props.get("status") or "open"
    out["progress"] = "resolved" if status in ("resolved", "closed") else status
    out["status"] = "closed" if status in ("resolved", "closed") else "open"
    if out["status"] == "closed" and props.get("resolved_date"):
        out["closed_date"] = props["resolved_date"]
    out["kind"] = {"dispute": "appeal", "relief": "need"}.get(str(props.get("kind")), props.get("kind"))
    if out.get("department") == "civil":
        out["department"] = "civil_affairs"
    return out


def _rewrite(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    bind = op.get_bind()
    dataset_id = bind.scalar(sa.select(datasets.c.id).where(datasets.c.name == "followups"))
    if dataset_id is None:
        return
    rows = bind.execute(sa.select(entities.c.id, entities.c.properties).where(entities.c.dataset_id == dataset_id))
    for row_id, props in list(rows):
        new = change(dict(props or {}))
        if new != props:
            bind.execute(entities.update().where(entities.c.id == row_id).values(properties=new))


def upgrade() -> None:
    _rewrite(to_case)


def downgrade() -> None:
    _rewrite(from_case)
