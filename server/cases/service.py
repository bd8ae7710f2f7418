"""Cases: follow-ups (the registry's followups dataset) routed to a department and worked to an end.

A case is not a table of its own: it is a followups record, so it moves with
its person, shows in sync and search, and every change is a registry version
and an event like any other. Opening one by hand or changing its status,
assignee or notes writes a version, an event whose detail names the case
action (those events are the case's action records) and an audit row.
Reads go through ``server.scope``: scope by the record's grid, and for
department accounts their purpose (a case outside it answers 404, audited).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.service import record
from server.domain import cases as rules
from server.domain.departments import CASE_DATASET, duties
from server.errors import ConflictError, NotFoundError, PermissionDeniedError, RuleViolation
from server.forms.expr.dates import DEFAULT_TZ_NAME
from server.paging import decode_state, encode_state
from server.registry import decisions, history, moves, store
from server.registry import rules as registry_rules
from server.registry import service as registry
from server.registry.models import Entity, EntityStatus, EventKind, RegistryEvent, SourceType
from server.scope import deny, in_purpose, purpose_clause, purpose_of, reads_dataset, scope_clause, within_purpose
from server.sealing.crypto import Sealer

CASE_FIELDS = ("title", "person", "kind", "department", "status", "assignee", "opened_date", "due_date",
               "resolved_date", "closed_date")


def city_today(now: datetime | None = None) -> date:
    """Today in the city (Asia/Shanghai): the day due dates and overdue are counted in."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(DEFAULT_TZ_NAME)).date()


# --------------------------------------------------------------------------- views


def case_view(entity: Entity, user: User, today: date) -> dict[str, Any]:
    """A case as its reader may see it."""
    props = within_purpose(user, CASE_DATASET, entity.properties)
    department = duties().departments.get(str(props.get("department") or ""))
    return {
        **{name: props.get(name) for name in CASE_FIELDS},
        "title": props.get("title") or entity.label,
        "uuid": entity.uuid,
        "department_label": department.label_zh if department else None,
        "overdue": rules.is_overdue(props, today),
        "grid_code": entity.grid_code,
        "version": entity.version,
        "etag": registry.etag(entity),
        "updated_at": registry.iso(entity.updated_at),
        "properties": props,
    }


def action_view(event: RegistryEvent) -> dict[str, Any]:
    """One action record: what was done to the case, by whom, when."""
    detail = event.detail or {}
    return {
        "at": registry.iso(event.at),
        "kind": event.kind,
        "action": detail.get("case") or event.kind,
        "actor_id": event.actor_id,
        "version": event.version,
        "from": detail.get("from"),
        "to": detail.get("to"),
        "note": detail.get("note"),
        "changed": detail.get("changed", []),
        "source_type": event.source_type,
        "source_id": event.source_id,
    }


# --------------------------------------------------------------------------- reading


def case_codes(user: User) -> dict[str, Any]:
    """The departments and kinds of case, for choosing one (any signed-in reader)."""
    registry.require_reader(user)
    return {"departments": list(duties().departments.values()), "kinds": list(duties().case_kinds.values())}


def _prop(name: str) -> Any:
    return Entity.properties[name].as_string()


def _overdue_clause(today: date) -> Any:
    return and_(_prop("status").in_(sorted(rules.UNFINISHED)), _prop("due_date") < today.isoformat())


def _valid_state(state: Any) -> bool:
    return isinstance(state, list) and len(state) == 2 and all(isinstance(v, int) for v in state)


def list_cases(session: Session, user: User, filters: Mapping[str, Any], today: date) -> dict[str, Any]:
    """One keyset page of the caller's cases (scope and purpose), newest or overdue first."""
    registry.require_reader(user)
    ds = store.get_dataset(session, CASE_DATASET)
    if not reads_dataset(user, CASE_DATASET):
        deny(session, user, "case", None, "cases outside the purpose", code="case.not_found")
    query = select(Entity).where(
        Entity.dataset_id == ds.id,
        Entity.status != EntityStatus.MERGED.value,
        scope_clause(user, Entity.unit_path),
        purpose_clause(user, CASE_DATASET, Entity.properties),
    )
    for name in ("department", "kind", "status"):
        if value := filters.get(name):
            query = query.where(_prop(name) == value)
    if (overdue := filters.get("overdue")) is not None:
        query = query.where(_overdue_clause(today) if overdue else ~_overdue_clause(today))
    if grid := filters.get("grid"):
        query = query.where(Entity.grid_code == grid)
    if person := filters.get("person"):
        query = query.where(Entity.followed_id == select(Entity.id).where(Entity.uuid == person).scalar_subquery())
    # Overdue first: rank 0 for overdue, 1 for the rest; within a rank newest first. Newest: rank is always 0.
    rank = case((_overdue_clause(today), 0), else_=1) if filters.get("order") == "overdue_first" else literal(0)
    if cursor := filters.get("cursor"):
        last_rank, last_id = decode_state(cursor, _valid_state)
        query = query.where(or_(rank > last_rank, and_(rank == last_rank, Entity.id < last_id)))
    limit = int(filters.get("limit") or 50)
    rows = list(session.execute(query.add_columns(rank).order_by(rank, Entity.id.desc()).limit(limit + 1)))
    items = [case_view(entity, user, today) for entity, _ in rows[:limit]]
    next_cursor = encode_state([int(rows[limit - 1][1]), rows[limit - 1][0].id]) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def load_case(session: Session, user: User, case_uuid: str) -> Entity:
    """A case in the caller's scope and purpose, or 404 (outside the purpose: audited)."""
    registry.require_reader(user)
    ds = store.get_dataset(session, CASE_DATASET)
    entity = session.scalar(
        select(Entity).where(Entity.uuid == case_uuid, Entity.dataset_id == ds.id,
                             Entity.status != EntityStatus.MERGED.value, scope_clause(user, Entity.unit_path))
    )
    if entity is None:
        raise NotFoundError(f"case {case_uuid} not found", code="case.not_found", message_zh="事项不存在")
    if not in_purpose(user, CASE_DATASET, entity.properties):
        deny(session, user, "case", case_uuid, "case outside the purpose", code="case.not_found")
    return entity


def get_case(session: Session, user: User, case_uuid: str, today: date) -> dict[str, Any]:
    """A case with its action records."""
    entity = load_case(session, user, case_uuid)
    events = session.scalars(
        select(RegistryEvent).where(RegistryEvent.entity_id == entity.id).order_by(RegistryEvent.cursor))
    return {**case_view(entity, user, today), "actions": [action_view(e) for e in events]}


# --------------------------------------------------------------------------- writing


def _check_department(code: str) -> None:
    if code not in duties().departments:
        raise RuleViolation(
            f"unknown department {code!r}",
            code="case.unknown_department",
            message_zh="转办部门不存在",
            errors={"department": [f"not one of {', '.join(sorted(duties().departments))}"]},
        )


def _person(session: Session, user: User, person_uuid: str) -> Entity:
    """The case's person: a live persons record the caller may see."""
    ds = store.get_dataset(session, "persons")
    person = session.scalar(
        select(Entity).where(Entity.uuid == person_uuid, Entity.dataset_id == ds.id,
                             Entity.status != EntityStatus.MERGED.value, scope_clause(user, Entity.unit_path),
                             purpose_clause(user, "persons", Entity.properties))
    )
    if person is None:
        raise RuleViolation("the person is not in the registry", code="case.person_not_found",
                            message_zh="所关联的人员不存在", errors={"person": ["not found"]})
    return person


def open_case(
    session: Session, sealer: Sealer, user: User, body: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """Open a case by hand: a new followups record of the person, routed to a department."""
    registry.require_reader(user)
    _check_department(body["department"])
    history.lock_feed(session)  # before any row lock (see history.py)
    person = _person(session, user, body["person"])
    ds = store.get_dataset(session, CASE_DATASET)
    due = body.get("due_date")
    raw = {
        "title": body["title"], "person": person.uuid, "kind": body["kind"], "department": body["department"],
        "notes": body.get("notes"), "assignee": body.get("assignee"), "source": "referral",
        "due_date": due.isoformat() if due else None,
    }
    props = rules.opened(duties(), registry_rules.normalise(ds.spec, raw), today)
    entity = Entity(
        uuid=str(uuidlib.uuid4()), dataset_id=ds.id, version=1, status=EntityStatus.ACTIVE.value,
        unit_path=person.unit_path, grid_code=person.grid_code, followed_id=person.id, created_by=user.id, label="",
    )
    store.set_properties(entity, ds.spec, props, sealer)
    session.add(entity)
    session.flush()
    source_id = f"case:{entity.uuid}:1"
    history.write_version(session, entity, base_version=None, changed=sorted(props), author_id=user.id,
                        source_type=SourceType.CASE.value, source_id=source_id)
    history.emit(session, entity, EventKind.CREATED.value, actor_id=user.id, source_type=SourceType.CASE.value,
               source_id=source_id, event_date=today.isoformat(),
               detail={"case": "opened", "to": props["status"], "follows": person.uuid, "grid": entity.grid_code})
    record(session, user.id, "case.opened", target_type="case", target_id=entity.uuid,
           detail={"department": props["department"], "kind": props["kind"], "person": person.uuid})
    return {**case_view(entity, user, today), "actions": []}


def _action(before: Mapping[str, Any], after: Mapping[str, Any], note: str | None) -> str:
    old, new = before.get("status"), after.get("status")
    if old != new:
        return "reopened" if new == rules.CaseStatus.OPEN and old in ("resolved", "closed") else str(new)
    if before.get("assignee") != after.get("assignee"):
        return "assigned"
    return "noted" if note else "edited"


def _require_worker(user: User, entity: Entity) -> None:
    """A department works only the cases routed to it (it may read others its purpose names)."""
    purpose = purpose_of(user)
    if purpose is not None and entity.properties.get("department") != purpose.department:
        raise PermissionDeniedError("only the department a case is routed to works it",
                                    code="case.not_routed_to_you", message_zh="该事项未转办给本部门，不能办理")


def _rejoin_person(session: Session, entity: Entity, before: Mapping[str, Any], after: Mapping[str, Any],
                   user: User, source_id: str, today: date) -> None:
    """A reopened case follows its person again: to their current grid if they moved meanwhile (``moved``)."""
    if after.get("status") not in rules.UNFINISHED or before.get("status") in rules.UNFINISHED:
        return
    person = session.get(Entity, entity.followed_id) if entity.followed_id else None
    if person is None:
        return
    target = moves.Placement(person.unit_path, person.grid_code, None, True, linked_id=person.id)
    moves.transfer(session, entity, target, actor_id=user.id, source_type=SourceType.CASE.value,
                   source_id=source_id, event_date=today.isoformat(), detail={"with": person.uuid})


def update_case(
    session: Session,
    sealer: Sealer,
    user: User,
    case_uuid: str,
    if_match: str | None,
    body: Mapping[str, Any],
    today: date,
) -> dict[str, Any]:
    """Change a case's status, assignee or notes (If-Match: its ETag), with an action record."""
    history.lock_feed(session)  # before any row lock (see history.py)
    entity = decisions.lock_record(session, load_case(session, user, case_uuid).id)
    decisions.check_if_match(if_match, registry.etag(entity))
    _require_worker(user, entity)
    ds = store.get_dataset(session, CASE_DATASET)
    before = store.full_properties(entity, sealer)
    after = dict(before)
    target = body.get("status")
    if target and target != before.get("status"):
        if not rules.may_move(before.get("status"), target):
            raise ConflictError(
                f"a {before.get('status')} case cannot become {target}",
                code="case.invalid_transition",
                message_zh="事项当前状态不能变更为所选状态",
                errors={"status": [f"{before.get('status')} -> {target}"]},
            )
        after = rules.moved(after, target, today)
    for name in ("assignee", "notes", "resolution"):
        if name in body:
            after[name] = body[name] or None
    after = {k: v for k, v in after.items() if v is not None}
    note = body.get("note")
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed and not note:
        return get_case(session, user, case_uuid, today)
    action = _action(before, after, note)
    entity.version += 1
    store.set_properties(entity, ds.spec, after, sealer)
    entity.updated_at = datetime.now(UTC)
    source_id = f"case:{entity.uuid}:{entity.version}"
    _rejoin_person(session, entity, before, after, user, source_id, today)
    session.flush()
    history.write_version(session, entity, base_version=entity.version - 1, changed=changed, author_id=user.id,
                        source_type=SourceType.CASE.value, source_id=source_id)
    detail = {"case": action, "from": before.get("status"), "to": after.get("status"), "changed": changed,
              **({"note": note} if note else {})}
    history.emit(session, entity, EventKind.UPDATED.value, actor_id=user.id, source_type=SourceType.CASE.value,
               source_id=source_id, event_date=today.isoformat(), detail=detail)
    record(session, user.id, f"case.{action}", target_type="case", target_id=entity.uuid, detail=detail)
    return get_case(session, user, case_uuid, today)
