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

How one block is applied to the batch's copies is staging.py.

What this pass does not cover is merged by merge.py, one submission at a time
in its own savepoint, after the rows staged before it are written: moves,
departures and returns, held moves, updates against an older base version
(conflicts), records that follow another, forms that open cases. The batch
then reads afresh for the submissions after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from server.errors import AppError
from server.geo.service import grid_path_at
from server.registry import candidates, fastpath, history, store
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
    PlacementReview,
)
from server.registry.records import MergeOutcome, SubmissionEssentials
from server.registry.staging import BlockStager, MergeAlone, Record, Staged, search_keys
from server.sealing.crypto import Sealer

Result = list[MergeOutcome] | AppError  # a submission's outcomes, or why the registry refused it
_REGISTRY_ROWS = (Entity, DuplicateCandidate, PlacementReview, AppliedSource)


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
        run = BatchRun(session, sealer, items[start:])
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


def _address(properties: Mapping[str, Any]) -> Any:
    """A record's address as candidates.py's blocking columns read it (current_address, else address)."""
    for name in ("current_address", "address"):
        value = properties.get(name)
        if value is not None:
            return value if isinstance(value, str) else str(value)
    return None


class BatchRun:
    """One pass over the rest of a batch: what it read, the records as it changed them, what it will write."""

    def __init__(self, session: Session, sealer: Sealer, items: list[_Item]) -> None:
        self.session, self.sealer, self.items = session, sealer, items
        self.recs: dict[int, Record] = {}
        self.by_uuid: dict[str, int] = {}
        self.by_digest: dict[str, set[int]] = {}
        self.by_key: dict[tuple[str, Any], set[int]] = {}
        self.blocking: dict[tuple[int, tuple[str, Any]], dict[int, dict[str, Any]]] = {}
        self.grids: dict[tuple[float, float], tuple[str, str] | None] = {}
        self.staged = Staged()
        self.claims: set[str] = set()  # claimed before this pass, or by it
        self.taken: set[str] = set()  # device-chosen uuids the registry holds
        self.undo: dict[int, Record] | None = None
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
            self._fetch_blocking(dataset_id, {key for c in cols for key in search_keys(c)})

    def _load(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if row["id"] not in self.recs:
                rec = self.recs[row["id"]] = Record(row)
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
            for key in search_keys(row):
                if (dataset_id, key) in self.blocking and key in missing:
                    self.blocking[(dataset_id, key)][row["id"]] = row

    def _index(self, rec: Record) -> None:
        if rec.values.get("id_hash"):
            self.by_digest.setdefault(rec.values["id_hash"], set()).add(rec.id)
        for key in search_keys(rec.values):
            self.by_key.setdefault(key, set()).add(rec.id)

    def _unindex(self, rec: Record) -> None:
        if rec.values.get("id_hash"):
            self.by_digest.get(rec.values["id_hash"], set()).discard(rec.id)
        for key in search_keys(rec.values):
            self.by_key.get(key, set()).discard(rec.id)

    def change(self, rec: Record, values: Mapping[str, Any]) -> None:
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
            except (AppError, MergeAlone) as exc:
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
                if isinstance(exc, MergeAlone):
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
            raise MergeAlone
        writer = BlockStager(self, ess, b.source, dict(prepared.props))
        rec = self._find(prepared.entity_id) if prepared.entity_id and prepared.decision.update else None
        if rec is not None:
            return writer.update(rec, prepared.base, "updated")
        if not prepared.decision.create:
            raise entity_not_found(prepared.entity_id)
        if opens_case(ess, name):
            raise MergeAlone
        if b.uuid_error is not None:
            raise b.uuid_error
        assert b.new_uuid is not None
        if prepared.chosen not in (None, "") and (b.new_uuid in self.taken or b.new_uuid in self.by_uuid):
            raise entity_exists(b.new_uuid)
        return writer.create(b.new_uuid, b.search)

    def _find(self, entity_uuid: str) -> Record | None:
        """records.find_entity on the batch's records: the uuid's record, following merges to the survivor."""
        rec_id = self.by_uuid.get(entity_uuid)
        rec = self.recs.get(rec_id) if rec_id is not None else None
        seen: set[int] = set()
        while rec is not None and rec.values["merged_into_id"] is not None and rec.id not in seen:
            seen.add(rec.id)
            rec = self.recs.get(rec.values["merged_into_id"])
        return rec

    def same_key(self, ds: store.DatasetRef, digests: Iterable[str]) -> Record | None:
        """The dataset's first live record holding one of these ID-number hashes (records.py's _SAME_KEY)."""
        found = [self.recs[i] for d in digests for i in self.by_digest.get(d, ())]
        live = [r for r in found if r.values["dataset_id"] == ds.id and r.values["status"] != EntityStatus.MERGED.value]
        return min(live, key=lambda r: r.id) if live else None

    def locate(self, lon: float, lat: float) -> tuple[str, str] | None:
        """The grid of a point, looked up once per batch."""
        if (lon, lat) not in self.grids:
            self.grids[(lon, lat)] = grid_path_at(self.session, lon, lat)
        return self.grids[(lon, lat)]

    def new_record(self, values: dict[str, Any], geometry: Any) -> Record:
        """Stage a new record under the next id drawn for this pass (ids keep the order records are made in)."""
        if not self.new_ids:
            self.new_ids = fastpath.new_record_ids(self.session, max(self.creates, 1), self.last_id)
            self.creates = 0
        values["id"] = self.last_id = self.new_ids.pop(0)
        rec = Record(values, new=True, geometry=geometry)
        self.recs[rec.id] = rec
        self.by_uuid[values["uuid"]] = rec.id
        self._index(rec)
        self.staged.new.append(rec)
        return rec

    def candidates(self, ds: store.DatasetRef, rec: Record) -> list[tuple[Mapping[str, Any], Any]]:
        """candidates.search for the record, on the batch's records: scored near matches, best first."""
        cols = {k: rec.values[k] for k in
                ("name_key", "name_pinyin", "block_key", "birth_date", "origin_code", "phone_hash", "id_hash")}
        keys = search_keys(cols)
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
