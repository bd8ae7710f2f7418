"""Reading the registry: search, detail, conflicts and Collect's entity list, always scoped and masked.

Every list and detail goes through ``server.scope``. Lists, searches, sync
pages, queues and Collect's entity list show ID and phone numbers masked, for
every role: full values come only from an explicit read of one record
(``detail``), and only when ``masking.sees_full_values`` says the caller's duty
needs them; each such response writes one audit event naming the record and
the properties it revealed. (A phone's offline list needs no full numbers:
duplicates are found on the server by keyed hash.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.audit.service import record
from server.domain import phone as phones
from server.domain import pinyin, resident_id
from server.domain.datasets import DatasetSpec, PropertyType
from server.errors import NotFoundError, PermissionDeniedError
from server.paging import decode_cursor, encode_cursor
from server.registry import store
from server.registry.models import Entity, EntityStatus, EntityVersion, RegistryEvent
from server.scope import (
    deny,
    get_in_scope,
    in_purpose,
    purpose_clause,
    require_dataset,
    require_properties,
    scope_clause,
    within_purpose,
)
from server.sealing import masking
from server.sealing.crypto import Sealer

MAX_LIMIT = 200
READ_ROLES = frozenset({Role.ADMIN.value, Role.SUPERVISOR.value, Role.GRID_WORKER.value, Role.DEPARTMENT.value})
REVIEW_ROLES = frozenset({Role.ADMIN.value, Role.SUPERVISOR.value})


def require_reader(user: User) -> None:
    """Only registry staff and departments read the registry (form designers do not)."""
    if user.role not in READ_ROLES:
        raise PermissionDeniedError("your role may not read the registry", code="registry.forbidden")


def require_reviewer(user: User) -> None:
    """Conflicts and duplicates are for supervisors (and admins)."""
    if user.role not in REVIEW_ROLES:
        raise PermissionDeniedError(
            "only supervisors resolve registry conflicts and duplicates", code="registry.forbidden"
        )


# --------------------------------------------------------------------------- masking


@dataclass
class Viewer:
    """Who is reading, what they may see unmasked, and what this response revealed."""

    user: User
    sealer: Sealer | None  # None only for a masked view that opens and looks up nothing (Collect's entity list)
    full: bool
    ethnicity: bool
    revealed: dict[str, set[str]]

    @classmethod
    def of(cls, user: User, sealer: Sealer, *, reveal: bool = False) -> Viewer:
        """The viewer for a user: masked, unless ``reveal`` (an explicit read of one record) and masking allows."""
        return cls(
            user,
            sealer,
            reveal and masking.sees_full_values(user.role, user.department),
            masking.sees_ethnicity(user.role, user.department),
            {},
        )

    @classmethod
    def masked(cls, user: User) -> Viewer:
        """A viewer that only shows stored masked values: it holds no sealer, so it can open nothing."""
        return cls(user, None, False, masking.sees_ethnicity(user.role, user.department), {})

    @property
    def opener(self) -> Sealer:
        """The sealer that opens and looks up sensitive values (a masked-only viewer has none)."""
        if self.sealer is None:
            raise RuntimeError("a masked-only viewer cannot open or look up sealed values")
        return self.sealer

    def show(self, spec: DatasetSpec, entity_uuid: str, props: Mapping[str, Any]) -> dict[str, Any]:
        """Properties as this viewer may see them (sealed values masked or revealed)."""
        out: dict[str, Any] = {}
        for name, value in props.items():
            prop = spec.properties.get(name)
            if prop is None or value is None:
                out[name] = value
            elif prop.type in masking.SEALED_TYPES:
                if self.full:
                    self.revealed.setdefault(entity_uuid, set()).add(name)
                    out[name] = value
                else:
                    out[name] = masking.mask_value(prop.type, str(value))
            elif prop.type is PropertyType.ETHNICITY_CODE and not self.ethnicity:
                out[name] = masking.mask_value(prop.type, str(value))
            else:
                out[name] = value
        return out

    def show_row(
        self, spec: DatasetSpec, entity_uuid: str, plain: Mapping[str, Any], sealed: Mapping[str, str]
    ) -> dict[str, Any]:
        """Show stored properties: masked forms as stored, or sealed tokens opened for full-value roles.

        Properties outside a department's purpose are left out before anything is shown.
        """
        plain, sealed = within_purpose(self.user, spec.name, plain), within_purpose(self.user, spec.name, sealed)
        if self.full:
            return self.show(spec, entity_uuid, {**plain, **store.open_sealed(sealed, self.opener)})
        if self.ethnicity:
            return dict(plain)
        return self.show(spec, entity_uuid, plain)

    def audit(self, session: Session, dataset: str, action: str = "registry.reveal") -> None:
        """Write one audit event if this response showed full sensitive values."""
        if self.revealed:
            record(
                session,
                self.user.id,
                action,
                target_type=f"registry.{dataset}",
                target_id=next(iter(self.revealed)) if len(self.revealed) == 1 else None,
                detail={
                    "entities": sorted(self.revealed)[:1000],
                    "count": len(self.revealed),
                    "properties": sorted({p for ps in self.revealed.values() for p in ps}),
                },
            )
            self.revealed = {}


# --------------------------------------------------------------------------- search


def _name_clause(q: str) -> Any:
    cleaned = pinyin.clean_name(q)
    if not cleaned:
        return None
    if any("\u3400" <= ch <= "\u9fff" for ch in cleaned):
        return Entity.name_key.startswith(cleaned, autoescape=True)
    return or_(
        Entity.name_pinyin.startswith(cleaned, autoescape=True),
        Entity.name_initials.startswith(cleaned, autoescape=True),
    )


# Search filters and the properties they look at: a department may only filter by what its purpose reads.
_FILTER_PROPERTIES = {"id_number": "resident_id", "phone": "phone", "ethnicity": "ethnicity",
                      "arrived_from": "arrival_date", "arrived_to": "arrival_date"}


def filtered_properties(spec: DatasetSpec, filters: Mapping[str, Any]) -> list[str]:
    """The dataset properties a search's filters look at."""
    names = [_FILTER_PROPERTIES[k] for k in _FILTER_PROPERTIES if filters.get(k)]
    if filters.get("q"):
        names.append(store.name_property(spec))
    return [n for n in names if n in spec.properties]


def search_query(ds: store.DatasetRef, viewer: Viewer, filters: Mapping[str, Any]) -> Select[Entity]:
    """The scoped, purpose-limited, filtered query for a registry search (no ordering or paging)."""
    clauses: list[Any] = [
        Entity.dataset_id == ds.id,
        scope_clause(viewer.user, Entity.unit_path),
        purpose_clause(viewer.user, ds.spec.name, Entity.properties),
    ]
    if q := filters.get("q"):
        if (clause := _name_clause(q)) is not None:
            clauses.append(clause)
    if id_number := filters.get("id_number"):
        clauses.append(store.hash_matches(Entity.id_hash, viewer.opener, "resident_id", resident_id.to_18(id_number)))
    if phone := filters.get("phone"):
        number = phones.normalize(phone) or phone.strip()
        clauses.append(store.hash_matches(Entity.phone_hash, viewer.opener, "phone", number))
    if grid := filters.get("grid"):
        clauses.append(Entity.grid_code == grid)
    if follows := filters.get("follows"):
        followed = select(Entity.id).where(Entity.uuid == follows).scalar_subquery()
        clauses.append(Entity.followed_id == followed)
    if ethnicity := filters.get("ethnicity"):
        if not viewer.ethnicity:
            raise PermissionDeniedError("your role may not filter by ethnicity", code="registry.forbidden")
        clauses.append(Entity.ethnicity == (ethnicity.zfill(2) if ethnicity.isdigit() else ethnicity))
    status = filters.get("status")
    clauses.append(Entity.status == status if status else Entity.status != EntityStatus.MERGED.value)
    if arrived_from := filters.get("arrived_from"):
        clauses.append(Entity.arrival_date >= arrived_from.isoformat())
    if arrived_to := filters.get("arrived_to"):
        clauses.append(Entity.arrival_date <= arrived_to.isoformat())
    return select(Entity).where(and_(*clauses))


def search(session: Session, sealer: Sealer, user: User, dataset: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """One keyset page of records matching the filters: ``{items, next_cursor}``."""
    require_reader(user)
    ds = store.get_dataset(session, dataset)
    require_dataset(session, user, dataset)
    require_properties(session, user, dataset, filtered_properties(ds.spec, filters))
    viewer = Viewer.of(user, sealer)
    limit = max(1, min(int(filters.get("limit") or 50), MAX_LIMIT))
    query = search_query(ds, viewer, filters)
    if (after := decode_cursor(filters.get("cursor"))) is not None:
        query = query.where(Entity.id < after)
    rows = list(session.scalars(query.order_by(Entity.id.desc()).limit(limit + 1)))
    items = [summary(ds.spec, e, viewer) for e in rows[:limit]]
    viewer.audit(session, dataset)
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1].id) if len(rows) > limit else None}


def summary(spec: DatasetSpec, entity: Entity, viewer: Viewer) -> dict[str, Any]:
    """A record as a list item."""
    return {
        "uuid": entity.uuid,
        "label": entity.label,
        "version": entity.version,
        "status": entity.status,
        "grid_code": entity.grid_code,
        "unit_path": entity.unit_path,
        "conflict": entity.conflict,
        "updated_at": iso(entity.updated_at),
        "properties": viewer.show_row(spec, entity.uuid, entity.properties, entity.sealed),
    }


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset (dicts inside responses bypass the schema's DateTime field)."""
    return value.isoformat() if value is not None else None


def etag(entity: Entity) -> str:
    """The record's ETag: it changes with every version."""
    return f'"{entity.uuid}.{entity.version}"'


def get_entity(session: Session, user: User, ds: store.DatasetRef, entity_uuid: str) -> Entity:
    """One record of the dataset in the caller's scope and purpose, or 404 (outside answers as missing)."""
    entity = get_in_scope(
        session, user, Entity, Entity.uuid, entity_uuid, Entity.unit_path, code="registry.entity_not_found"
    )
    if entity.dataset_id != ds.id:
        raise NotFoundError(f"Entity {entity_uuid} not found", code="registry.entity_not_found")
    if not in_purpose(user, ds.spec.name, entity.properties):
        deny(session, user, f"registry.{ds.spec.name}", entity_uuid, "record outside the purpose",
             code="registry.entity_not_found")
    return entity


def detail(session: Session, sealer: Sealer, user: User, dataset: str, entity_uuid: str) -> dict[str, Any]:
    """A record with its versions, events, submissions and merge links."""
    require_reader(user)
    ds = store.get_dataset(session, dataset)
    require_dataset(session, user, dataset)
    entity = get_entity(session, user, ds, entity_uuid)
    viewer = Viewer.of(user, sealer, reveal=True)
    versions = list(
        session.scalars(
            select(EntityVersion).where(EntityVersion.entity_id == entity.id).order_by(EntityVersion.version)
        )
    )
    events = list(
        session.scalars(
            select(RegistryEvent).where(RegistryEvent.entity_id == entity.id).order_by(RegistryEvent.cursor)
        )
    )
    merged_from = list(session.scalars(select(Entity.uuid).where(Entity.merged_into_id == entity.id)))
    merged_into = (
        session.scalar(select(Entity.uuid).where(Entity.id == entity.merged_into_id)) if entity.merged_into_id else None
    )
    out = summary(ds.spec, entity, viewer)
    out.update(
        {
            "etag": etag(entity),
            "merged_into": merged_into,
            "merged_from": merged_from,
            "versions": [version_view(ds.spec, entity.uuid, v, viewer) for v in versions],
            "events": [event_view(e) for e in events],
            "submissions": [
                {"instance_id": v.source_id, "version": v.version, "at": iso(v.created_at), "unit_path": v.unit_path}
                for v in versions
                if v.source_type == "submission" and v.source_id
            ],
        }
    )
    viewer.audit(session, dataset)
    return out


def version_view(spec: DatasetSpec, entity_uuid: str, version: EntityVersion, viewer: Viewer) -> dict[str, Any]:
    """One version as the viewer may see it, with conflict values opened and masked."""
    out = {
        "version": version.version,
        "base_version": version.base_version,
        "label": version.label,
        "changed": version.changed,
        "unit_path": version.unit_path,
        "author_id": version.author_id,
        "source_type": version.source_type,
        "source_id": version.source_id,
        "conflict": version.conflict,
        "resolved_at": iso(version.resolved_at),
        "created_at": iso(version.created_at),
        "properties": viewer.show_row(spec, entity_uuid, version.properties, version.sealed),
    }
    if version.conflict_detail:
        out["conflict_detail"] = conflict_view(spec, entity_uuid, version.conflict_detail, viewer)
    return out


def conflict_view(spec: DatasetSpec, entity_uuid: str, detail: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """Base, current and incoming values of a conflict, opened and masked for the viewer."""
    values: dict[str, Any] = {}
    for name, triple in (detail.get("values") or {}).items():
        shown = {}
        for which in ("base", "current", "incoming"):
            value = triple.get(which)
            if triple.get("sealed") and value is not None:
                value = viewer.opener.open(name, value)
            shown[which] = viewer.show(spec, entity_uuid, {name: value})[name]
        values[name] = shown
    return {**{k: v for k, v in detail.items() if k != "values"}, "values": values}


def event_view(event: RegistryEvent) -> dict[str, Any]:
    """One registry event."""
    return {
        "cursor": event.cursor,
        "kind": event.kind,
        "version": event.version,
        "unit_path": event.unit_path,
        "previous_unit_path": event.previous_unit_path,
        "event_date": event.event_date,
        "source_type": event.source_type,
        "source_id": event.source_id,
        "actor_id": event.actor_id,
        "detail": event.detail,
        "at": iso(event.at),
    }


# --------------------------------------------------------------------------- conflicts


def list_conflicts(
    session: Session, sealer: Sealer, user: User, dataset: str, cursor: str | None, limit: int
) -> dict[str, Any]:
    """Unresolved conflicting versions in the caller's scope, newest first."""
    require_reviewer(user)
    ds = store.get_dataset(session, dataset)
    viewer = Viewer.of(user, sealer)
    query = (
        select(EntityVersion, Entity)
        .join(Entity, Entity.id == EntityVersion.entity_id)
        .where(
            Entity.dataset_id == ds.id,
            EntityVersion.conflict.is_not(None),
            EntityVersion.resolved_at.is_(None),
            scope_clause(user, Entity.unit_path),
        )
    )
    if (after := decode_cursor(cursor)) is not None:
        query = query.where(EntityVersion.id < after)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(session.execute(query.order_by(EntityVersion.id.desc()).limit(limit + 1)))
    items = [
        {
            "entity_uuid": e.uuid,
            "label": e.label,
            "etag": etag(e),
            "current_version": e.version,
            **version_view(ds.spec, e.uuid, v, viewer),
        }
        for v, e in rows[:limit]
    ]
    viewer.audit(session, dataset)
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None}


# --------------------------------------------------------------------------- Collect's entity list


def entity_list_csv(session: Session, user: User, dataset: str) -> bytes:
    """The caller's records as ODK Collect's entity-list CSV: name, label, __version, properties."""
    require_reader(user)
    ds = store.get_dataset(session, dataset)
    require_dataset(session, user, dataset)
    viewer = Viewer.masked(user)  # the list is masked for every role, so no sealer is needed
    names = list(within_purpose(user, dataset, ds.spec.properties))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["name", "label", "__version", *names])
    query = (
        select(Entity)
        .where(
            Entity.dataset_id == ds.id,
            Entity.status != EntityStatus.MERGED.value,
            scope_clause(user, Entity.unit_path),
            purpose_clause(user, dataset, Entity.properties),
        )
        .order_by(Entity.id)
    )
    for entity in session.scalars(query.execution_options(yield_per=2000)):
        props = viewer.show_row(ds.spec, entity.uuid, entity.properties, entity.sealed)
        writer.writerow([entity.uuid, entity.label, entity.version, *(_cell(props.get(n)) for n in names)])
    viewer.audit(session, dataset, "registry.export")
    return buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Iterable) and not isinstance(value, str):
        return " ".join(str(v) for v in value)
    return str(value)
