"""Merging a batch of submissions in one pass: what merge.py does for each, with a few statements for all.

The result is the one-at-a-time merge's, in order: each submission is merged
as if alone, after the ones before it in the batch, so two submissions about
the same person (a registration and a visit naming it, two registrations of
one ID number) end as they would one by one, and a submission the registry
refuses is refused without undoing the others. What differs is the cost:

1. *prepare* (no database): per submission and block, the dataset, the claim
   key, the create/update decision, the normalised values (merge.py's
   ``prepare_block``; an error it raises waits until the claim is known new);
2. *read*, once for the rest of the batch: the claims already made, the
   records named by uuid (following merges to the survivor), the records
   holding the batch's ID numbers, device-chosen uuids already taken, the
   records sharing the new profiles' blocking keys (all locked as merge.py
   locks them); each point is located once;
3. *plan*, in order: each submission's blocks against the batch's own copy of
   those records, staging versions, events, merge results and candidate
   pairs. A refused submission's staged rows and record changes are undone
   in memory; nothing of it reaches the database;
4. *write*: new records, changed records, candidates, versions, events (in
   order: their cursors follow the batch's order) and results, one statement
   per table (fastpath.py).

What this pass does not cover is merged by merge.py, one submission at a time
in its own savepoint, after the rows staged before it are written: moves,
departures and returns, held moves, updates against an older base version
(conflicts), records that follow another, forms that open cases. The batch
then reads afresh for the submissions after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from server.errors import AppError, RuleViolation
from server.geo.points import point_element
from server.geo.service import grid_path_at
from server.registry import candidates, fastpath, history, moves, rules, store
from server.registry.merge import (
    BlockSource,
    PreparedBlock,
    block_source,
    blocks_of,
    entity_exists,
    entity_not_found,
    merge_submission_data,
    new_record_uuid,
    opens_case,
    prepare_block,
    source_path,
)
from server.registry.models import (
    AppliedSource,
    CandidateStatus,
    DuplicateCandidate,
    Entity,
    EntityStatus,
    EventKind,
    PlacementReview,
)
from server.registry.records import MergeOutcome, SubmissionEssentials, submitter
from server.sealing.crypto import Sealer

Result = list[MergeOutcome] | AppError  # a submission's outcomes, or why the registry refused it
_KEYS = ("id_hash", "name_key", "birth_date", "phone_hash")  # a change of one of these searches for candidates again


_REGISTRY_ROWS = (Entity, DuplicateCandidate, PlacementReview, AppliedSource)


class _Alone(Exception):
    """The submission needs merge.py's one-at-a-time merge (a case the batch does not cover)."""


@dataclass
class _Block:
    source: BlockSource | None
    block: Mapping[str, Any]
    prepared: PreparedBlock | None = None
    error: AppError | None = None  # raised when the block's claim turns out new
    early: AppError | None = None  # raised before the claim (the dataset is not declared)
    new_uuid: str | None = None
    uuid_error: AppError | None = None
    search: dict[str, Any] | None = None  # a new record's search columns (read ahead for its blocking keys)


@dataclass
class _Item:
    index: int
    ess: SubmissionEssentials
    blocks: list[_Block]


@dataclass
class _Rec:
    """A record as this batch sees it: its columns (``fastpath.RECORD_COLUMNS``) and whether the batch wrote it."""

    values: dict[str, Any]
    new: bool = False
    changed: bool = False
    updated_at: Any = None
    geometry: Any = None

    @property
    def id(self) -> int:
        return int(self.values["id"])

    def copy(self) -> _Rec:
        return _Rec(dict(self.values), self.new, self.changed, self.updated_at, self.geometry)

    def restore(self, before: _Rec) -> None:
        """Take back the state of ``before`` (a copy of this record)."""
        self.values, self.changed, self.updated_at, self.geometry = (
            before.values, before.changed, before.updated_at, before.geometry)


@dataclass
class _Staged:
    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[tuple[str, MergeOutcome, SubmissionEssentials, int | None, str | None, dict[str, Any] | None]] = (
        field(default_factory=list))
    pairs: list[tuple[tuple[int, int], dict[str, Any], MergeOutcome]] = field(default_factory=list)
    new: list[_Rec] = field(default_factory=list)

    def marks(self) -> tuple[int, ...]:
        return len(self.versions), len(self.events), len(self.results), len(self.pairs), len(self.new)

    def truncate(self, marks: tuple[int, ...]) -> None:
        del self.versions[marks[0]:], self.events[marks[1]:], self.results[marks[2]:], self.pairs[marks[3]:]
        del self.new[marks[4]:]


def merge_batch(session: Session, batch: Sequence[SubmissionEssentials], sealer: Sealer) -> list[Result]:
    """Fold submissions into the registry in order, as one-at-a-time merges would: each one's outcomes or refusal."""
    history.lock_feed(session)  # before any row lock, held by the caller's transaction
    results: list[Result | None] = [None] * len(batch)
    items = [_Item(i, ess, []) for i, ess in enumerate(batch)]
    for item in items:
        item.blocks = [_prepare(session, item.ess, block) for block in blocks_of(item.ess)]
    start = 0
    while start < len(items):
        session.flush()  # anything a one-at-a-time merge left in the session goes first
        run = _Run(session, sealer, items[start:])
        stop = run.plan(results)
        run.write()
        if stop < len(items):
            results[stop] = _alone(session, batch[stop], sealer)
            stop += 1
        start = stop
    return [r if r is not None else [] for r in results]


def _alone(session: Session, ess: SubmissionEssentials, sealer: Sealer) -> Result:
    """merge.py's merge of one submission in its own savepoint (its refusal undoes only it)."""
    for obj in list(session.identity_map.values()):  # registry rows the batch wrote are read as stored
        if isinstance(obj, _REGISTRY_ROWS):
            session.expire(obj)
    try:
        with session.begin_nested():
            outcomes = merge_submission_data(session, ess, sealer)
    except AppError as exc:
        return exc
    return outcomes


def _prepare(session: Session, ess: SubmissionEssentials, block: Mapping[str, Any]) -> _Block:
    try:
        source = block_source(session, ess, block)
    except AppError as exc:
        return _Block(None, block, early=exc)
    prepared = _Block(source, block)
    try:
        prepared.prepared = prepare_block(ess, block, source)
    except AppError as exc:
        prepared.error = exc
        return prepared
    if prepared.prepared.decision.create and prepared.prepared.skipped is None:
        try:
            prepared.new_uuid = new_record_uuid(prepared.prepared.chosen)
        except AppError as exc:
            prepared.uuid_error = exc
    return prepared


def _keys(cols: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The blocking keys of a profile, as candidates.blocking_query matches them."""
    keys: list[tuple[str, Any]] = []
    if cols.get("block_key"):
        keys.append(("block", cols["block_key"]))
    if cols.get("phone_hash"):
        keys.append(("phone", cols["phone_hash"]))
    if cols.get("birth_date") and cols.get("origin_code"):
        keys.append(("born", (cols["birth_date"], cols["origin_code"])))
    return keys


def _address(properties: Mapping[str, Any]) -> Any:
    """A record's address as candidates.py's blocking columns read it (current_address, else address)."""
    for name in ("current_address", "address"):
        value = properties.get(name)
        if value is not None:
            return value if isinstance(value, str) else str(value)
    return None


class _Run:
    """One pass over the rest of a batch: what it read, the records as it changed them, what it will write."""

    def __init__(self, session: Session, sealer: Sealer, items: list[_Item]) -> None:
        self.session, self.sealer, self.items = session, sealer, items
        self.recs: dict[int, _Rec] = {}
        self.by_uuid: dict[str, int] = {}
        self.by_digest: dict[str, set[int]] = {}
        self.by_key: dict[tuple[str, Any], set[int]] = {}
        self.blocking: dict[tuple[int, tuple[str, Any]], dict[int, dict[str, Any]]] = {}
        self.grids: dict[tuple[float, float], tuple[str, str] | None] = {}
        self.staged = _Staged()
        self.claims: set[str] = set()  # claimed before this pass, or by it
        self.taken: set[str] = set()  # device-chosen uuids the registry holds
        self.undo: dict[int, _Rec] | None = None
        self.new_ids: list[int] = []  # drawn for this pass's new records, used in order
        self.creates = 0  # how many blocks of this pass may create a record
        self.last_id = 0
        self._read()

    # ------------------------------------------------------------------ read

    def _read(self) -> None:
        session, sealer = self.session, self.sealer
        blocks = [b for item in self.items for b in item.blocks if b.source is not None]
        self.claims = fastpath.claimed(session, (b.source.key for b in blocks if b.source is not None))
        ready = [b for b in blocks if b.prepared is not None and b.prepared.skipped is None and b.source is not None
                 and b.source.key not in self.claims]
        uuids = {b.prepared.entity_id for b in ready
                 if b.prepared and b.prepared.entity_id and b.prepared.decision.update}
        self._load(fastpath.records_by_uuid(session, uuids))
        pending = {r.values["merged_into_id"] for r in self.recs.values() if r.values["merged_into_id"] is not None}
        while pending := {i for i in pending if i not in self.recs}:
            rows = fastpath.records_by_id(session, pending)
            self._load(rows)
            pending = {row["merged_into_id"] for row in rows if row["merged_into_id"] is not None}
        by_dataset: dict[int, set[str]] = {}
        profiles: dict[int, list[dict[str, Any]]] = {}
        for b in ready:
            assert b.prepared is not None and b.source is not None
            spec = b.source.ds.spec
            id_prop = store.id_property(spec)
            number = b.prepared.props.get(id_prop) if id_prop else None
            if number and b.prepared.decision.create:
                by_dataset.setdefault(b.source.ds.id, set()).update(sealer.digests("resident_id", number))
            if b.prepared.decision.create:
                b.search = store.search_columns(spec, b.prepared.props, sealer)
                if spec.identity.strong or spec.identity.near:
                    profiles.setdefault(b.source.ds.id, []).append(b.search)
        self.creates = sum(1 for b in ready if b.prepared and b.prepared.decision.create)
        for dataset_id, digests in by_dataset.items():
            self._load(fastpath.records_by_id_hash(session, dataset_id, digests))
        self.taken = fastpath.uuids_taken(
            session, (b.new_uuid for b in ready if b.new_uuid and b.prepared and b.prepared.chosen not in (None, "")))
        for dataset_id, cols in profiles.items():
            self._fetch_blocking(dataset_id, {key for c in cols for key in _keys(c)})

    def _load(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if row["id"] not in self.recs:
                rec = self.recs[row["id"]] = _Rec(row)
                self.by_uuid[row["uuid"]] = rec.id
                self._index(rec)

    def _fetch_blocking(self, dataset_id: int, keys: set[tuple[str, Any]]) -> None:
        """Read the dataset's records under these blocking keys (those not read yet)."""
        missing = {k for k in keys if (dataset_id, k) not in self.blocking}
        if not missing:
            return
        for key in missing:
            self.blocking[(dataset_id, key)] = {}
        rows = fastpath.blocking_rows(
            self.session, dataset_id,
            (v for kind, v in missing if kind == "block"),
            (v for kind, v in missing if kind == "phone"),
            (v for kind, v in missing if kind == "born"),
        )
        for row in rows:
            for key in _keys(row):
                if (dataset_id, key) in self.blocking and key in missing:
                    self.blocking[(dataset_id, key)][row["id"]] = row

    def _index(self, rec: _Rec) -> None:
        if rec.values.get("id_hash"):
            self.by_digest.setdefault(rec.values["id_hash"], set()).add(rec.id)
        for key in _keys(rec.values):
            self.by_key.setdefault(key, set()).add(rec.id)

    def _unindex(self, rec: _Rec) -> None:
        if rec.values.get("id_hash"):
            self.by_digest.get(rec.values["id_hash"], set()).discard(rec.id)
        for key in _keys(rec.values):
            self.by_key.get(key, set()).discard(rec.id)

    def _change(self, rec: _Rec, values: Mapping[str, Any]) -> None:
        """Change a record's columns, remembering how it was before this submission (to undo a refusal)."""
        if self.undo is not None and rec.id not in self.undo:
            self.undo[rec.id] = rec.copy()
        self._unindex(rec)
        rec.values.update(values)
        rec.changed = True
        self._index(rec)

    # ------------------------------------------------------------------ plan

    def plan(self, results: list[Result | None]) -> int:
        """Plan the submissions in order until one needs merging alone; its index in the batch (or the end)."""
        for item in self.items:
            marks, claims = self.staged.marks(), set(self.claims)
            self.undo = {}
            try:
                results[item.index] = [self._plan_block(item.ess, b) for b in item.blocks]
            except (AppError, _Alone) as exc:
                for rec in self.staged.new[marks[4]:]:
                    self._unindex(rec)
                    del self.recs[rec.id], self.by_uuid[rec.values["uuid"]]
                for rec_id, before in self.undo.items():
                    if rec_id in self.recs:
                        rec = self.recs[rec_id]
                        self._unindex(rec)
                        rec.restore(before)
                        self._index(rec)
                self.staged.truncate(marks)
                self.claims = claims
                if isinstance(exc, _Alone):
                    return item.index
                results[item.index] = exc
            finally:
                self.undo = None
        return self.items[-1].index + 1 if self.items else 0

    def _plan_block(self, ess: SubmissionEssentials, b: _Block) -> MergeOutcome:
        if b.early is not None:
            raise b.early
        assert b.source is not None
        name, ds = b.source.name, b.source.ds
        if b.source.key in self.claims:
            return MergeOutcome(name, "already_merged")
        if b.error is not None:
            raise b.error
        assert b.prepared is not None
        self.claims.add(b.source.key)
        prepared = b.prepared
        if prepared.skipped is not None:
            outcome = MergeOutcome(name, "skipped", reason=prepared.decision.reason)
            self.staged.results.append((b.source.key, outcome, ess, None, source_path(self.session, ess),
                                        prepared.skipped))
            return outcome
        if ds.spec.placement.follows:
            raise _Alone
        writer = _Writer(self, ess, b.source, dict(prepared.props))
        rec = self._find(prepared.entity_id) if prepared.entity_id and prepared.decision.update else None
        if rec is not None:
            return writer.update(rec, prepared.base, "updated")
        if not prepared.decision.create:
            raise entity_not_found(prepared.entity_id)
        if opens_case(ess, name):
            raise _Alone
        if b.uuid_error is not None:
            raise b.uuid_error
        assert b.new_uuid is not None
        if prepared.chosen not in (None, "") and (b.new_uuid in self.taken or b.new_uuid in self.by_uuid):
            raise entity_exists(b.new_uuid)
        return writer.create(b.new_uuid, b.search)

    def _find(self, entity_uuid: str) -> _Rec | None:
        """records.find_entity on the batch's records: the uuid's record, following merges to the survivor."""
        rec_id = self.by_uuid.get(entity_uuid)
        rec = self.recs.get(rec_id) if rec_id is not None else None
        seen: set[int] = set()
        while rec is not None and rec.values["merged_into_id"] is not None and rec.id not in seen:
            seen.add(rec.id)
            rec = self.recs.get(rec.values["merged_into_id"])
        return rec

    def same_key(self, ds: store.DatasetRef, digests: Iterable[str]) -> _Rec | None:
        """The dataset's first live record holding one of these ID-number hashes (records.py's _SAME_KEY)."""
        found = [self.recs[i] for d in digests for i in self.by_digest.get(d, ())]
        live = [r for r in found if r.values["dataset_id"] == ds.id and r.values["status"] != EntityStatus.MERGED.value]
        return min(live, key=lambda r: r.id) if live else None

    def locate(self, lon: float, lat: float) -> tuple[str, str] | None:
        """The grid of a point, looked up once per batch."""
        if (lon, lat) not in self.grids:
            self.grids[(lon, lat)] = grid_path_at(self.session, lon, lat)
        return self.grids[(lon, lat)]

    def new_record(self, values: dict[str, Any], geometry: Any) -> _Rec:
        """Stage a new record under the next id drawn for this pass (ids keep the order records are made in)."""
        if not self.new_ids:
            self.new_ids = fastpath.new_record_ids(self.session, max(self.creates, 1), self.last_id)
            self.creates = 0
        values["id"] = self.last_id = self.new_ids.pop(0)
        rec = _Rec(values, new=True, geometry=geometry)
        self.recs[rec.id] = rec
        self.by_uuid[values["uuid"]] = rec.id
        self._index(rec)
        self.staged.new.append(rec)
        return rec

    def candidates(self, ds: store.DatasetRef, rec: _Rec) -> list[tuple[Mapping[str, Any], Any]]:
        """candidates.search for the record, on the batch's records: scored near matches, best first."""
        cols = {k: rec.values[k] for k in
                ("name_key", "name_pinyin", "block_key", "birth_date", "origin_code", "phone_hash", "id_hash")}
        keys = _keys(cols)
        if not keys:
            return []
        self._fetch_blocking(ds.id, set(keys))
        rows: dict[int, Mapping[str, Any]] = {}
        for key in keys:
            for row_id, row in self.blocking[(ds.id, key)].items():
                if row_id not in self.recs:
                    rows[row_id] = row
            for row_id in self.by_key.get(key, ()):
                other = self.recs[row_id].values
                if other["dataset_id"] == ds.id and other["status"] != EntityStatus.MERGED.value:
                    rows[row_id] = {**other, "address": _address(other["properties"])}
        rows.pop(rec.id, None)
        address_prop = store.address_property(ds.spec)
        address = rec.values["properties"].get(address_prop) if address_prop else None
        return candidates.rank(cols, address, rows.values())

    # ------------------------------------------------------------------ write

    def write(self) -> None:
        """Write what the pass staged: records, candidates, versions, events and results."""
        staged, session = self.staged, self.session
        fastpath.insert_records(session, [{**r.values, "geometry": r.geometry} for r in staged.new])
        fastpath.update_records(session, [
            {"record_id": r.id, **r.values, "updated_at": r.updated_at, "geometry": r.geometry}
            for r in self.recs.values() if r.changed and r.updated_at is not None])
        self._write_pairs()
        fastpath.insert_versions(session, staged.versions)
        fastpath.insert_events(session, staged.events)
        fastpath.insert_results(session, [
            {"source_key": key, "outcome": outcome.action, "entity_id": entity_id, "source_id": ess.instance_id,
             "dataset": outcome.dataset, "unit_path": path,
             "detail": (detail if detail is not None else outcome.detail()) or None}
            for key, outcome, ess, entity_id, path, detail in staged.results])

    def _write_pairs(self) -> None:
        """Candidate pairs as upsert_candidate leaves them, applied in order; each outcome gets its pair ids."""
        staged = self.staged.pairs
        if not staged:
            return
        keys = [key for key, _, _ in staged]
        existing = fastpath.pairs(self.session, keys)
        state: dict[tuple[int, int], dict[str, Any]] = {}
        inserts: list[dict[str, Any]] = []
        owners: list[tuple[tuple[int, int], MergeOutcome]] = []
        for key, (_, values, outcome) in zip(keys, staged, strict=True):
            pair = state.get(key)
            if pair is None and key in existing:
                pair = state[key] = {**existing[key], "changed": False}
            if pair is None:
                pair = state[key] = {"id": None, "status": CandidateStatus.OPEN.value, "revision": 1,
                                     "row": {**values, "entity_a_id": key[0], "entity_b_id": key[1], "revision": 1}}
                inserts.append(pair["row"])
            elif pair["status"] == CandidateStatus.OPEN.value:
                pair["revision"] += 1
                if "row" in pair:
                    pair["row"].update(values, revision=pair["revision"])
                else:
                    pair.update(values, changed=True)
            owners.append((key, outcome))
        for row, pair_id in zip(inserts, fastpath.insert_pairs(self.session, inserts), strict=True):
            state[(row["entity_a_id"], row["entity_b_id"])]["id"] = pair_id
        fastpath.update_pairs(self.session, [
            {"pair_id": p["id"], "score": p["score"], "reasons": p["reasons"], "path_a": p["path_a"],
             "path_b": p["path_b"], "revision": p["revision"]} for p in state.values() if p.get("changed")])
        for key, outcome in owners:
            outcome.candidates.append(state[key]["id"])


class _Writer:
    """One block's create or update on the batch's records (records.BlockWriter's rules, staged)."""

    def __init__(self, run: _Run, ess: SubmissionEssentials, source: BlockSource, props: dict[str, Any]) -> None:
        self.run, self.ess, self.ds, self.key = run, ess, source.ds, source.key
        self.props = props
        session = run.session
        self.placement = moves.place(session, self.ds.spec, props, ess.point, ess.unit_path,
                                     lambda: submitter(session, ess.submitter_id), locate=run.locate)

    def _source(self) -> dict[str, Any]:
        return {"source_type": self.ess.source_type, "source_id": self.ess.instance_id}

    def _refuse_outside(self) -> None:
        if self.placement.outside and self.ds.spec.placement.on_outside == "reject":
            raise RuleViolation(
                "the location lies outside your area",
                code="registry.outside_scope",
                message_zh="定位不在您负责的网格范围内",
                errors={"location": [self.placement.grid_code or ""]},
            )

    def create(self, entity_uuid: str, search: dict[str, Any] | None = None) -> MergeOutcome:
        """A new record, unless its strong key names one already (then that one is updated)."""
        spec, sealer, ess = self.ds.spec, self.run.sealer, self.ess
        id_prop = store.id_property(spec)
        id_number = self.props.get(id_prop) if id_prop else None
        if id_number:
            same = self.run.same_key(self.ds, sealer.digests("resident_id", id_number))
            if same is not None:
                return self.update(same, None, "deduplicated")
        if not self.props.get(spec.label_property):
            raise RuleViolation("the record has no label", code="registry.label_missing",
                                errors={spec.label_property: ["required"]})
        if self.placement.unit_path is None:
            raise RuleViolation("the record cannot be placed in a grid", code="registry.unplaced",
                                message_zh="无法确定登记对象所属网格")
        self._refuse_outside()
        point = self.placement.point
        values: dict[str, Any] = {
            "uuid": entity_uuid, "dataset_id": self.ds.id, "version": 1, "status": EntityStatus.ACTIVE.value,
            "unit_path": self.placement.unit_path, "grid_code": self.placement.grid_code, "merged_into_id": None,
            "followed_id": None, "conflict": None, "created_by": ess.submitter_id,
            **store.stored_values(spec, self.props, sealer, "", search),
        }
        rec = self.run.new_record(values, point_element(*point) if point is not None else None)
        outcome = MergeOutcome(self.ds.name, "created", entity_uuid, 1)
        self._candidates(rec, outcome)
        self._version(rec, base_version=None, changed=sorted(self.props))
        self._event(rec, EventKind.CREATED, event_date=self.props.get("arrival_date") or ess.received_on,
                    detail={"grid": values["grid_code"], "arrival": True})
        self._result(rec, outcome)
        return outcome

    def update(self, rec: _Rec, base: int | None, action: str) -> MergeOutcome:
        """Apply the submission to a record: the cases without a move, a departure, a held move or a conflict."""
        spec, sealer, placement, ess = self.ds.spec, self.run.sealer, self.placement, self.ess
        values = rec.values
        if rules.is_departure(self.props):
            raise _Alone
        self._refuse_outside()
        held = placement.located and placement.outside and spec.placement.on_outside == "review"
        moving = placement.located and placement.unit_path != values["unit_path"]
        stale = base is not None and base < values["version"]
        if held or moving or stale or values["status"] != EntityStatus.ACTIVE.value:
            raise _Alone
        current = {**values["properties"], **store.open_sealed(values["sealed"] or {}, sealer)}
        changed = rules.changed_properties(current, self.props)
        new_props = rules.apply_changes(current, self.props)
        old_keys = tuple(values[k] for k in _KEYS)
        self.run._change(rec, {
            "version": values["version"] + 1,
            **store.stored_values(spec, {k: v for k, v in new_props.items() if v is not None}, sealer,
                                  values["label"]),
        })
        rec.updated_at = ess.received_at
        if placement.located:
            rec.geometry = point_element(*placement.point) if placement.point is not None else rec.geometry
        outcome = MergeOutcome(self.ds.name, action, values["uuid"], values["version"])
        if old_keys != tuple(values[k] for k in _KEYS):
            self._candidates(rec, outcome)
        self._version(rec, base_version=base if base is not None else values["version"] - 1, changed=changed)
        self._event(rec, EventKind.UPDATED, event_date=None, detail={"changed": changed})
        self._result(rec, outcome)
        return outcome

    def _candidates(self, rec: _Rec, outcome: MergeOutcome) -> None:
        """Stage the record's near matches as candidate pairs (candidates.find_for); ids come with the write."""
        spec = self.ds.spec
        if not (spec.identity.strong or spec.identity.near):
            return
        values = rec.values
        for row, result in self.run.candidates(self.ds, rec):
            other_id = int(row["id"])
            a_id, b_id = sorted((rec.id, other_id))
            path_a, path_b = ((values["unit_path"], row["unit_path"]) if a_id == rec.id
                              else (row["unit_path"], values["unit_path"]))
            self.run.staged.pairs.append(((a_id, b_id), {
                "dataset_id": self.ds.id, "score": result.total, "reasons": [r.as_dict() for r in result.reasons],
                "status": CandidateStatus.OPEN.value, "path_a": path_a, "path_b": path_b}, outcome))

    def _version(self, rec: _Rec, *, base_version: int | None, changed: list[str]) -> None:
        values = rec.values
        self.run.staged.versions.append({
            "entity_id": rec.id, "version": values["version"], "base_version": base_version,
            "label": values["label"], "properties": dict(values["properties"]), "sealed": dict(values["sealed"]),
            "changed": list(changed), "unit_path": values["unit_path"], "author_id": self.ess.submitter_id,
            "conflict": None, "conflict_detail": None, **self._source()})

    def _event(self, rec: _Rec, kind: EventKind, *, event_date: str | None, detail: dict[str, Any]) -> None:
        values = rec.values
        self.run.staged.events.append({
            "dataset_id": values["dataset_id"], "entity_id": rec.id, "kind": kind.value, "version": values["version"],
            "unit_path": values["unit_path"], "previous_unit_path": None, "event_date": event_date,
            "actor_id": self.ess.submitter_id, "detail": detail, **self._source()})

    def _result(self, rec: _Rec, outcome: MergeOutcome) -> None:
        path = self.ess.unit_path or rec.values["unit_path"]
        self.run.staged.results.append((self.key, outcome, self.ess, rec.id, path, None))

