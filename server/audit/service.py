"""Write audit events in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.logs import current_request_id


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    *,
    target_type: str | None = None,
    target_id: object | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; it commits or rolls back with the change it records."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail or {},
        request_id=current_request_id(),
    )
    session.add(event)
    return event
