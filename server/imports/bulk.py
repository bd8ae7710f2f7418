"""New records from import rows, a batch at a time: the registry's create in a handful of statements.

A department file is mostly people the registry has not seen, each placed by
a grid code. Merged one by one (merge.py, records.py) every such row costs a
savepoint and six statements: its claim, the strong-key lookup, the insert,
the near-match search, the version with its event and result. ``BulkCreate``
does the same for a run of such rows with one statement each: claims (a
source claimed before stays ``already_merged``), inserts, one blocking search
for the whole run, candidate pairs, versions, ``created`` events (in file
order, under the feed lock the batch holds) and merge results. What each row
writes is what ``BlockWriter.create`` writes for it; tests/imports/test_bulk.py
compares the two registries row for row.

A row is taken here only when nothing else in the merge applies to it: a
dataset that neither follows another record nor opens cases, placed by its
grid (no point, no geopoint property), with a label, and whose ID number
names no record yet. Everything else (an update by the strong key, a point to
locate) is merged one row at a time in file order, after the rows before it.
A row's near matches are the records that existed before it: those already
in the registry and the rows before it in the file, as the one-by-one merge
finds them.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.domain.departments import CASE_DATASET
from server.registry import candidates, rules, store
from server.registry.merge import SubmissionEssentials, _mask_copies
from server.registry.models import (
    AppliedSource,
    CandidateStatus,
    DuplicateCandidate,
    Entity,
    EntityStatus,
    EntityVersion,
    EventKind,
    RegistryEvent,
)
from server.registry.records import MergeOutcome
from server.sealing.crypto import Sealer

_SOURCES = cast(Table, AppliedSource.__table__)
_ENTITIES = cast(Table, Entity.__table__)
_VERSIONS = cast(Table, EntityVersion.__table__)
_EVENTS = cast(Table, RegistryEvent.__table__)
_PAIRS = cast(Table, DuplicateCandidate.__table__)
_NEW_KEYS = ("uuid", "dataset_id", "version", "status", "unit_path", "grid_code", "created_by", "label",
             "properties", "sealed", *store.SEARCH_COLUMNS)
_PROFILE_KEYS = ("name_key", "name_pinyin", "block_key", "birth_date", "origin_code", "phone_hash", "id_hash")
_RESULT = _SOURCES.update().where(_SOURCES.c.id == bindparam("claim_id")).values(
    {k: bindparam(f"r_{k}") for k in ("outcome", "entity_id", "source_id", "dataset", "unit_path", "detail")})


@dataclass
class _Row:
    number: int
    ess: SubmissionEssentials
    props: dict[str, Any]
    claim_key: str
    entity: Entity | None = None


class BulkCreate:
    """The rows of one batch that only create, gathered in file order and written by ``flush``."""

    def __init__(self, session: Session, dataset: str, sealer: Sealer, received_at: Any) -> None:
        self.session, self.sealer = session, sealer
        self.ds = store.get_dataset(session, dataset, at=received_at)  # the declaration in force, as merge.py
        spec = self.ds.spec
        self.usable = not spec.placement.follows and dataset != CASE_DATASET
        self.id_property = store.id_property(spec)
        self.taken: set[str] = set()
        self.rows: list[_Row] = []

    def lookup_keys(self, id_numbers: Iterable[str]) -> None:
        """Find which of the batch's ID numbers already name a live record (one query for the batch)."""
        digests = {d for n in id_numbers for d in self.sealer.digests("resident_id", n)}
        if not digests:
            return
        self.taken = set(self.session.scalars(select(Entity.id_hash).where(
            Entity.dataset_id == self.ds.id, Entity.id_hash.in_(sorted(digests)),
            Entity.status != EntityStatus.MERGED.value)))

    def take(self, number: int, ess: SubmissionEssentials) -> bool:
        """Gather the row if it only creates a record placed by its grid; False when the merge must do it."""
        spec = self.ds.spec
        if not self.usable or ess.unit_path is None or ess.point is not None:
            return False
        raw = dict(ess.data)
        props = rules.normalise(spec, raw)
        if props.get(spec.placement.geopoint) or not props.get(spec.label_property):
            return False
        id_number = props.get(self.id_property) if self.id_property else None
        if id_number and any(d in self.taken for d in self.sealer.digests("resident_id", id_number)):
            return False
        _mask_copies(spec, props, raw)
        self.rows.append(_Row(number, ess, props, f"{ess.source_key}:{self.ds.name}"))
        return True

    def flush(self) -> dict[int, MergeOutcome]:
        """Write the gathered rows; each row number's outcome (``already_merged`` for a source claimed before)."""
        rows, self.rows = self.rows, []
        if not rows:
            return {}
        outcomes = {r.number: MergeOutcome(self.ds.name, "already_merged") for r in rows}
        claims = self._claim(rows)
        rows = [r for r in rows if r.claim_key in claims]
        if not rows:
            return outcomes
        ids = self._insert(rows)
        found = self._candidates(rows, ids)
        session, spec = self.session, self.ds.spec
        versions, events, results = [], [], []
        for row in rows:
            entity, ess = row.entity, row.ess
            assert entity is not None
            outcome = outcomes[row.number] = MergeOutcome(self.ds.name, "created", entity.uuid, 1,
                                                          candidates=found.get(row.number, []))
            source = {"source_type": ess.source_type, "source_id": ess.instance_id}
            versions.append({"entity_id": entity.id, "version": 1, "base_version": None, "label": entity.label,
                             "properties": dict(entity.properties), "sealed": dict(entity.sealed),
                             "changed": sorted(row.props), "unit_path": entity.unit_path,
                             "author_id": ess.submitter_id, "conflict": None, "conflict_detail": None, **source})
            events.append({"dataset_id": self.ds.id, "entity_id": entity.id, "kind": EventKind.CREATED.value,
                           "version": 1, "unit_path": entity.unit_path, "previous_unit_path": None,
                           "event_date": row.props.get("arrival_date") or ess.received_on,
                           "actor_id": ess.submitter_id, "detail": {"grid": entity.grid_code, "arrival": True},
                           **source})
            results.append({"claim_id": claims[row.claim_key], "r_outcome": "created", "r_entity_id": entity.id,
                            "r_source_id": ess.instance_id, "r_dataset": self.ds.name,
                            "r_unit_path": ess.unit_path or entity.unit_path, "r_detail": outcome.detail() or None})
        assert not spec.placement.follows
        session.execute(_VERSIONS.insert(), versions)
        session.execute(_EVENTS.insert(), events)
        session.execute(_RESULT, results)
        return outcomes

    def _claim(self, rows: list[_Row]) -> dict[str, int]:
        """Claim the rows' sources (one statement); the claim id of each source not claimed before."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(_SOURCES).on_conflict_do_nothing(index_elements=["source_key"]).returning(
            _SOURCES.c.source_key, _SOURCES.c.id)
        params = [{"source_key": r.claim_key, "outcome": "pending"} for r in rows]
        return {key: claim_id for key, claim_id in self.session.execute(stmt, params)}

    def _insert(self, rows: list[_Row]) -> dict[int, int]:
        """Insert the records in file order; each new record's id and its row's index."""
        spec, sealer = self.ds.spec, self.sealer
        values = []
        for row in rows:
            entity = row.entity = Entity(
                uuid=str(uuidlib.uuid4()), dataset_id=self.ds.id, version=1, status=EntityStatus.ACTIVE.value,
                unit_path=row.ess.unit_path, grid_code=rules.grid_code_of(row.ess.unit_path or ""),
                created_by=row.ess.submitter_id, label="")
            store.set_properties(entity, spec, row.props, sealer)
            values.append({k: getattr(entity, k) for k in _NEW_KEYS})
        # A plain executemany (pipelined by psycopg) and the ids read back by uuid: an INSERT .. RETURNING of
        # many rows is one statement of every row's values, which the driver re-parses whole each batch.
        self.session.execute(_ENTITIES.insert(), values)
        by_uuid = dict(self.session.execute(select(Entity.uuid, Entity.id).where(
            Entity.uuid.in_([v["uuid"] for v in values]))).all())
        new_ids = [by_uuid[v["uuid"]] for v in values]
        for row, entity_id in zip(rows, new_ids, strict=True):
            assert row.entity is not None
            row.entity.id = entity_id
        return {entity_id: index for index, entity_id in enumerate(new_ids)}

    def _candidates(self, rows: list[_Row], new: dict[int, int]) -> dict[int, list[int]]:
        """Queue each new record's near matches among the records before it; candidate ids by row number."""
        spec = self.ds.spec
        if not (spec.identity.strong or spec.identity.near):
            return {}
        profiles = [{k: getattr(r.entity, k) for k in _PROFILE_KEYS} for r in rows]
        query = candidates.blocking_many(self.ds.id, profiles)
        if query is None:
            return {}
        by_key: dict[tuple[str, Any], list[Any]] = {}
        for match in self.session.execute(query):
            for key in _keys(match._mapping):
                by_key.setdefault(key, []).append(match)
        address_prop = store.address_property(spec)
        pairs, owners = [], []
        for index, (row, cols) in enumerate(zip(rows, profiles, strict=True)):
            entity = row.entity
            assert entity is not None
            seen: dict[int, Any] = {}
            for key in _keys(cols):
                for match in by_key.get(key, ()):
                    if match.id != entity.id and new.get(match.id, -1) < index:
                        seen[match.id] = match
            if not seen:
                continue
            address = entity.properties.get(address_prop) if address_prop else None
            for match, result in candidates.rank(cols, address, seen.values()):
                a_id, b_id = sorted((entity.id, match.id))
                path_a, path_b = (entity.unit_path, match.unit_path) if a_id == entity.id else (
                    match.unit_path, entity.unit_path)
                pairs.append({"dataset_id": self.ds.id, "entity_a_id": a_id, "entity_b_id": b_id,
                              "score": result.total, "reasons": [r.as_dict() for r in result.reasons],
                              "status": CandidateStatus.OPEN.value, "path_a": path_a, "path_b": path_b,
                              "revision": 1})
                owners.append(row.number)
        if not pairs:
            return {}
        stmt = _PAIRS.insert().returning(_PAIRS.c.id, sort_by_parameter_order=True)
        found: dict[int, list[int]] = {}
        for number, pair_id in zip(owners, self.session.scalars(stmt, pairs), strict=True):
            found.setdefault(number, []).append(pair_id)
        return found


def _keys(cols: Any) -> list[tuple[str, Any]]:
    """The blocking keys a profile (or a blocking row) has, as candidates.blocking_query matches them."""
    keys: list[tuple[str, Any]] = []
    if cols.get("block_key"):
        keys.append(("block", cols["block_key"]))
    if cols.get("phone_hash"):
        keys.append(("phone", cols["phone_hash"]))
    if cols.get("birth_date") and cols.get("origin_code"):
        keys.append(("born", (str(cols["birth_date"]), cols["origin_code"])))
    return keys
