"""Writing one entities block to its record: create (or deduplicate) and update.

merge.py decides, per block of a submission, whether to create or update and
claims the source; ``BlockWriter`` does the writing: placement, the strong-key
dedup, conflicts against the base version, held moves, the version, its
events and the merge result (history.py), and the duplicate candidates of a
new record. This is the one-at-a-time writer, for one submission and for what
the batch merge (batch.py) leaves to it; the record is an ORM object here.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from server.accounts.models import User, UserScope
from server.errors import RuleViolation
from server.forms.expr.dates import DEFAULT_TZ_NAME
from server.geo.models import AdminUnit
from server.registry import candidates, followups, history, moves, rules, store
from server.registry.models import Entity, EntityStatus, EntityVersion, EventKind, SourceType
from server.sealing import masking
from server.sealing.crypto import Sealer


def announces_update(changed: Sequence[str], kinds: Sequence[EventKind]) -> bool:
    """True when an update's new version is announced by an ``updated`` event of its own.

    Without a move or departure every new version is; beside a move, one that also changed properties
    is; a departure's own event speaks for the version it writes.
    """
    return not kinds or (bool(changed) and EventKind.DEPARTED not in kinds)


@dataclass(frozen=True)
class SubmissionEssentials:
    """What the merge needs from a submission (the intake's row, or a test)."""

    instance_id: str
    entities: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    data: Mapping[str, Any]
    submitter_id: int | None
    received_at: datetime
    point: tuple[float, float] | None = None  # (lon, lat)
    unit_path: str | None = None
    base_version: int | None = None
    create: bool | None = None  # explicit create/update (imports) instead of the block's conditions
    update: bool | None = None
    form: Mapping[str, Any] | None = None  # the compiled definition: references for the block's expressions
    time_zone: str = DEFAULT_TZ_NAME  # the city's: an event's date is the day it was received there
    source_type: str = SourceType.SUBMISSION.value  # what the versions and events name as their cause
    source_key: str | None = None  # the claim's key when not the instance id's (an import row's content)

    @property
    def received_on(self) -> str:
        """The date the submission was received, in the city's time zone (YYYY-MM-DD)."""
        return self.received_at.astimezone(ZoneInfo(self.time_zone)).date().isoformat()


@dataclass
class MergeOutcome:
    """What merging one entities block did."""

    dataset: str
    action: str  # created | updated | deduplicated | skipped | already_merged
    entity_uuid: str | None = None
    version: int | None = None
    conflict: str | None = None
    candidates: list[int] = field(default_factory=list)
    reason: str | None = None  # why a block was skipped: create_if_false, update_if_false, ...
    review: int | None = None  # a move held for a supervisor (PlacementReview id)

    def detail(self) -> dict[str, Any]:
        """The merge result's detail, as stored with the claim."""
        values = {"reason": self.reason, "conflict": self.conflict, "candidates": self.candidates,
                  "placement_review": self.review}
        return {k: v for k, v in values.items() if v}


def result_row(
    ess: SubmissionEssentials, outcome: MergeOutcome, entity_id: int | None, unit_path: str | None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """The merge result as the claim row stores it."""
    return {
        "outcome": outcome.action,
        "entity_id": entity_id,
        "source_id": ess.instance_id,
        "dataset": outcome.dataset,
        "unit_path": unit_path,
        "detail": detail or None,
    }


# The submitter with their scope units in one query (not the units' parents: only the paths are read).
_SUBMITTER = (
    select(User)
    .where(User.id == bindparam("user_id"))
    .options(joinedload(User.scopes).options(joinedload(UserScope.unit).options(lazyload(AdminUnit.parent))))
)


def submitter(session: Session, user_id: int | None) -> User | None:
    """The submitter, loaded once per transaction: a batch merges many submissions of few people.

    The session's identity map holds objects weakly, so without this every
    merge of a batch would load the user and their scopes again.
    """
    if not user_id:
        return None
    root = session.get_transaction()
    cached: tuple[Any, dict[int, User | None]] | None = session.info.get("registry_submitters")
    if cached is None or cached[0] is not root:
        cached = session.info["registry_submitters"] = (root, {})
    users = cached[1]
    if user_id not in users:
        users[user_id] = session.execute(_SUBMITTER, {"user_id": user_id}).unique().scalar_one_or_none()
    return users[user_id]


_ENTITY_BY_UUID = select(Entity).where(Entity.uuid == bindparam("uuid")).with_for_update()
_ENTITY_BY_ID = select(Entity).where(Entity.id == bindparam("id")).with_for_update()
UUID_TAKEN = select(Entity.id).where(Entity.uuid == bindparam("uuid"))


def find_entity(session: Session, entity_uuid: str) -> Entity | None:
    """The live record for a uuid, following merges to the survivor, locked for update."""
    entity = session.scalar(_ENTITY_BY_UUID, {"uuid": entity_uuid})
    seen = set()
    while entity is not None and entity.merged_into_id is not None and entity.id not in seen:
        seen.add(entity.id)
        entity = session.scalar(_ENTITY_BY_ID, {"id": entity.merged_into_id})
    return entity


def _same_key(digest: Any) -> Any:
    return (
        select(Entity)
        .where(Entity.dataset_id == bindparam("dataset_id"), digest, Entity.status != EntityStatus.MERGED.value)
        .order_by(Entity.id)
        .limit(1)
        .with_for_update()
    )


# The exact-match lookup of the strong key: its digest under the current key, or any of its digests
# while retired keys remain (an expanding IN is re-rendered per call, so only then).
_SAME_KEY = _same_key(Entity.id_hash == bindparam("digest"))
_SAME_KEY_ANY = _same_key(Entity.id_hash.in_(bindparam("digests", expanding=True)))
_ENTITIES = cast(Table, Entity.__table__)
_ENTITY_INSERT = _ENTITIES.insert().returning(_ENTITIES.c.id)
_NEW_ENTITY_KEYS = (
    "uuid", "dataset_id", "version", "status", "unit_path", "grid_code", "geometry", "followed_id", "created_by",
    "label", "properties", "sealed", *store.SEARCH_COLUMNS,
)


class BlockWriter:
    """One block's merge: the dataset, the sealer, who submitted, and the normalised properties."""

    def __init__(
        self,
        session: Session,
        ds: store.DatasetRef,
        sealer: Sealer,
        ess: SubmissionEssentials,
        props: dict[str, Any],
        claim_id: int,
    ) -> None:
        self.session, self.ds, self.sealer, self.ess = session, ds, sealer, ess
        self.props = props
        self.claim_id = claim_id
        self.recorded = False  # the merge result is on the claim row already (written with the version)
        self.actor = ess.submitter_id
        self.entity_id: int | None = None
        self.entity_path: str | None = None
        self.placement = moves.place(
            session,
            ds.spec,
            props,
            ess.point,
            ess.unit_path,
            lambda: submitter(session, ess.submitter_id),
        )
        self.today = ess.received_on

    def _source(self) -> dict[str, Any]:
        return {"actor_id": self.actor, "source_type": self.ess.source_type, "source_id": self.ess.instance_id}

    def create(self, entity_uuid: str | None) -> MergeOutcome:
        """Create a record, unless its strong key already names one (then update that one)."""
        id_prop = store.id_property(self.ds.spec)
        id_number = self.props.get(id_prop) if id_prop else None
        if id_number:
            # No second registration of the same number can slip in between this check and the insert:
            # every registry writer holds the change-feed lock (history.lock_feed) for its whole transaction.
            digests = self.sealer.digests("resident_id", id_number)
            if len(digests) == 1:
                same = self.session.scalar(_SAME_KEY, {"dataset_id": self.ds.id, "digest": digests[0]})
            else:
                same = self.session.scalar(_SAME_KEY_ANY, {"dataset_id": self.ds.id, "digests": digests})
            if same is not None:
                return self.update(same, None, "deduplicated")
        if not self.props.get(self.ds.spec.label_property):
            raise RuleViolation(
                "the record has no label",
                code="registry.label_missing",
                errors={self.ds.spec.label_property: ["required"]},
            )
        follows = self.ds.spec.placement.follows
        if follows and self.placement.linked_id is None:
            raise RuleViolation(
                f"the record named by {follows} is not in the registry",
                code="registry.linked_entity_not_found",
                message_zh="所关联的登记对象不存在",
                errors={follows: ["not found"]},
            )
        if self.placement.unit_path is None:
            raise RuleViolation(
                "the record cannot be placed in a grid", code="registry.unplaced", message_zh="无法确定登记对象所属网格"
            )
        moves.refuse_outside(self.ds.spec, self.placement)
        entity = Entity(
            uuid=entity_uuid or str(uuidlib.uuid4()),
            dataset_id=self.ds.id,
            version=1,
            status=EntityStatus.ACTIVE.value,
            unit_path=self.placement.unit_path,
            grid_code=self.placement.grid_code,
            followed_id=self.placement.linked_id,
            created_by=self.actor,
            label="",
        )
        store.set_properties(entity, self.ds.spec, self.props, self.sealer)
        moves.set_point(entity, self.placement.point)
        # A Core INSERT rather than session.add + flush: the new row is only read back by id, and the
        # object stays out of the session (what follows reads its attributes, nothing lazy-loads).
        entity.id = self.session.execute(_ENTITY_INSERT, {k: getattr(entity, k) for k in _NEW_ENTITY_KEYS}).scalar_one()
        found = candidates.find_for(self.session, self.ds, entity)
        self.entity_id, self.entity_path = entity.id, entity.unit_path
        outcome = MergeOutcome(self.ds.spec.name, "created", entity.uuid, entity.version, candidates=found)
        created: dict[str, Any] = {"grid": entity.grid_code}
        created.update({"follows": self.props.get(follows)} if follows else {"arrival": True})
        history.write_version_and_emit(
            self.session,
            entity,
            EventKind.CREATED,
            version={"base_version": None, "changed": sorted(self.props), **self._author()},
            event={"event_date": self.props.get("arrival_date") or self.today, "detail": created, **self._source()},
            result=self._result(entity, outcome),
        )
        return outcome

    def _result(self, entity: Entity, outcome: MergeOutcome) -> tuple[int, dict[str, Any]]:
        """The merge result for the claim row, written with the version (see ``_merge_block``)."""
        self.recorded = True
        path = self.ess.unit_path or entity.unit_path
        return self.claim_id, result_row(self.ess, outcome, entity.id, path, outcome.detail())

    def _held(self, departing: bool) -> bool:
        """True when this submission's move must wait for a supervisor (on_outside: review)."""
        placement, on_outside = self.placement, self.ds.spec.placement.on_outside
        return placement.located and placement.outside and on_outside == "review" and not departing

    def _move_placement(self, new_props: Mapping[str, Any], held: bool) -> moves.Placement:
        """The placement the record follows now: none while its move is held or once it stops following."""
        spec = self.ds.spec
        if held or (spec.placement.follows and not followups.is_open(spec, new_props)):
            return replace(self.placement, located=False)  # held, or closed: stays where it is
        return self.placement

    def _author(self) -> dict[str, Any]:
        return {"author_id": self.actor, "source_type": self.ess.source_type, "source_id": self.ess.instance_id}

    def update(self, entity: Entity, base: int | None, action: str) -> MergeOutcome:
        """Apply the submission to an existing record, flagging a stale base version."""
        spec = self.ds.spec
        departing = rules.is_departure(self.props)
        moves.refuse_outside(self.ds.spec, self.placement)
        held = self._held(departing)
        if held:  # the location is part of the held move; the other changes apply now
            self.props = {k: v for k, v in self.props.items() if k != spec.placement.geopoint}
        current = store.full_properties(entity, self.sealer)
        changed = rules.changed_properties(current, self.props)
        check = rules.classify_conflict(base, entity.version, self._changed_since(entity, base), changed)
        detail = self._conflict_detail(entity, base, current, check) if check.kind else None
        new_props = rules.apply_changes(current, self.props)
        if not departing and entity.status == EntityStatus.DEPARTED.value and self.placement.located:
            new_props["residence_status"] = "resident" if "residence_status" in spec.properties else None
        placement = self._move_placement(new_props, held)
        old_keys = (entity.id_hash, entity.name_key, entity.birth_date, entity.phone_hash)
        entity.version += 1
        store.set_properties(entity, spec, {k: v for k, v in new_props.items() if v is not None}, self.sealer)
        if self.placement.linked_id is not None:
            entity.followed_id = self.placement.linked_id
        if check.kind:
            entity.conflict = "hard" if "hard" in (check.kind, entity.conflict) else "soft"
        kinds = moves.follow(
            self.session,
            entity,
            placement,
            self.props,
            departing=departing,
            fallback_date=self.today,
            **self._source(),
        )
        if placement.located and not departing and EventKind.MOVED not in kinds:
            moves.set_point(entity, placement.point)
        entity.updated_at = self.ess.received_at
        found: list[int] = []
        if old_keys != (entity.id_hash, entity.name_key, entity.birth_date, entity.phone_hash):
            found = candidates.find_for(self.session, self.ds, entity)
        review = None
        if held:
            review = moves.open_review(
                self.session,
                entity,
                self.placement,
                submitter_id=self.actor,
                source_type=self.ess.source_type,
                source_id=self.ess.instance_id,
                event_date=self.today,
            )
        self.entity_id, self.entity_path = entity.id, entity.unit_path
        outcome = MergeOutcome(
            self.ds.spec.name, action, entity.uuid, entity.version, check.kind, found,
            review=review.id if review is not None else None,
        )
        version = {
            "base_version": base if base is not None else entity.version - 1,
            "changed": changed,
            "conflict": check.kind,
            "conflict_detail": detail,
            **self._author(),
        }
        self.session.flush()  # the record's new state, then its version and events (Core inserts)
        if announces_update(changed, kinds):
            history.write_version_and_emit(
                self.session,
                entity,
                EventKind.UPDATED,
                version=version,
                event={"detail": self._event_detail(changed, check), **self._source()},
                result=self._result(entity, outcome),
            )
        else:
            history.write_version(self.session, entity, **version)
        return outcome

    @staticmethod
    def _event_detail(changed: list[str], check: rules.ConflictCheck) -> dict[str, Any]:
        detail: dict[str, Any] = {"changed": changed}
        if check.kind:
            detail["conflict"] = check.kind
        return detail

    def _changed_since(self, entity: Entity, base: int | None) -> set[str]:
        if base is None or base >= entity.version:
            return set()
        rows = self.session.scalars(
            select(EntityVersion.changed).where(EntityVersion.entity_id == entity.id, EntityVersion.version > base)
        )
        return {name for changed in rows for name in changed}

    def _conflict_detail(
        self, entity: Entity, base: int | None, current: Mapping[str, Any], check: rules.ConflictCheck
    ) -> dict[str, Any]:
        """Base, current and incoming values of each property in conflict (sensitive ones sealed)."""
        base_row = self.session.scalar(
            select(EntityVersion).where(EntityVersion.entity_id == entity.id, EntityVersion.version == base)
        )
        base_props = store.full_properties(base_row, self.sealer) if base_row else {}
        names = check.overlapping or tuple(
            sorted(set(check.unseen) | {k for k, v in self.props.items() if v is not None and current.get(k) != v})
        )
        values: dict[str, Any] = {}
        for name in names:
            triple = {"base": base_props.get(name), "current": current.get(name), "incoming": self.props.get(name)}
            if name in self.ds.spec.properties and self.ds.spec.properties[name].type in masking.SEALED_TYPES:
                triple = {k: (self.sealer.seal(name, str(v)) if v is not None else None) for k, v in triple.items()}
                triple["sealed"] = True
            values[name] = triple
        return {
            "base_version": base,
            "current_version": entity.version,
            "overlapping": list(check.overlapping),
            "unseen": list(check.unseen),
            "values": values,
        }
