"""Reading the audit trail: filters by actor, action, target and time, newest first, keyset paged.

Full reads of sensitive data are the events that showed unmasked values:
registry reveals, exports and syncs (which name the records and properties),
and submission reads whose detail lists ``unmasked`` answers. ``target``
finds an object whether it is the event's one target or among the records a
list or export revealed (``detail.entities``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.models import AuditEvent
from server.errors import RuleViolation
from server.paging import decode_cursor, encode_cursor

FULL_READ_ACTIONS = ("registry.reveal", "registry.export", "registry.sync")


@dataclass(frozen=True)
class AuditPage:
    """A page of events and the cursor of the next one."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def _filters(session: Session, args: Mapping[str, Any]) -> list[Any]:
    conditions: list[Any] = []
    if actor := args.get("actor"):
        actor_id = session.scalar(select(User.id).where(User.username == actor))
        conditions.append(AuditEvent.actor_id == (actor_id if actor_id is not None else -1))
    if action := args.get("action"):
        if action.endswith("*"):
            prefix = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(AuditEvent.action.like(prefix + "%", escape="\\"))
        else:
            conditions.append(AuditEvent.action == action)
    if target_type := args.get("target_type"):
        conditions.append(AuditEvent.target_type == target_type)
    if target := args.get("target"):
        quoted = '"' + target.replace("\\", "\\\\").replace('"', '\\"') + '"'
        conditions.append(or_(AuditEvent.target_id == target,
                              cast(AuditEvent.detail, String).contains(quoted, autoescape=True)))
    if since := args.get("since"):
        conditions.append(AuditEvent.at >= since)
    if until := args.get("until"):
        conditions.append(AuditEvent.at < until)
    if args.get("full_reads"):
        conditions.append(or_(AuditEvent.action.in_(FULL_READ_ACTIONS),
                              and_(AuditEvent.action == "submission.read",
                                   cast(AuditEvent.detail, String).contains('"unmasked"'))))
    return conditions


def list_events(session: Session, args: Mapping[str, Any]) -> AuditPage:
    """A page of audit events matching every given filter, newest first."""
    if args.get("since") and args.get("until") and args["since"] >= args["until"]:
        raise RuleViolation("since must be before until", errors={"until": ["must be after since"]},
                            code="audit.bad_range", message_zh="时间范围有误")
    limit = int(args.get("limit") or 50)
    conditions = _filters(session, args)
    if (after := decode_cursor(args.get("cursor"))) is not None:
        conditions.append(AuditEvent.id < after)
    rows = session.execute(
        select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*conditions).order_by(AuditEvent.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [{"id": e.id, "at": e.at, "actor_id": e.actor_id, "actor": username, "action": e.action,
              "target_type": e.target_type, "target_id": e.target_id, "detail": e.detail or {},
              "request_id": e.request_id} for e, username in rows]
    return AuditPage(items, encode_cursor(rows[-1][0].id) if more and rows else None)
