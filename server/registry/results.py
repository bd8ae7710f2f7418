"""What the registry did with one submission: its merge result per dataset, scoped and purpose-limited."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.errors import NotFoundError
from server.registry.models import AppliedSource, Entity
from server.registry.service import iso, require_reader
from server.scope import deny, in_purpose, scope_clause

# A source without a path (merged before paths were recorded) is visible to city-wide roles only.
_SOURCE_PATH = cast("ColumnElement[str]", AppliedSource.unit_path)


def merge_result(session: Session, user: User, instance_id: str) -> dict[str, Any]:
    """What the registry did with a submission, one entry per dataset it writes (404 outside scope)."""
    require_reader(user)
    rows = list(
        session.execute(
            select(AppliedSource, Entity.uuid, Entity.properties)
            .outerjoin(Entity, Entity.id == AppliedSource.entity_id)
            .where(AppliedSource.source_id == instance_id, scope_clause(user, _SOURCE_PATH))
            .order_by(AppliedSource.id)
        )
    )
    shown = [r for r in rows if in_purpose(user, r[0].dataset, r[2] or {})]
    if rows and not shown:
        deny(session, user, "registry.submission", instance_id, "merge result outside the purpose",
             code="registry.merge_result_not_found")
    rows = shown
    if not rows:
        raise NotFoundError(
            f"no merge result for {instance_id}",
            code="registry.merge_result_not_found",
            message_zh="没有该提交的入库结果",
        )
    return {
        "instance_id": instance_id,
        "blocks": [
            {
                "dataset": source.dataset,
                "outcome": source.outcome,
                "entity_uuid": entity_uuid,
                "reason": (source.detail or {}).get("reason"),
                "detail": source.detail or {},
                "at": iso(source.at),
            }
            for source, entity_uuid, _ in rows
        ],
    }
