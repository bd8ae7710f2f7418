"""Staging one block's create or update in a batch merge (batch.py): records.BlockWriter's rules, kept in memory.

A batch pass keeps its own copy of the records it read (``Record``) and
stages what each block writes (``Staged``: versions, events, merge results,
candidate pairs, new records) until the pass writes them all at once. A
``BlockStager`` applies one block to those copies by the same rules as
records.BlockWriter (placement, the strong-key dedup, a new record's near
matches, a changed record's new search keys); the cases it does not cover
raise ``MergeAlone`` so that merge.py merges the submission by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.errors import RuleViolation
from server.geo.points import point_element
from server.registry import moves, rules, store
from server.registry.merge import BlockSource
from server.registry.models import CandidateStatus, EntityStatus, EventKind
from server.registry.records import MergeOutcome, SubmissionEssentials, submitter

if TYPE_CHECKING:
    from server.registry.batch import BatchRun

KEY_COLUMNS = ("id_hash", "name_key", "birth_date", "phone_hash")  # a change of one searches for candidates again


def search_keys(cols: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The blocking keys of a profile, as candidates.blocking_query matches them."""
    keys: list[tuple[str, Any]] = []
    if cols.get("block_key"):
        keys.append(("block", cols["block_key"]))
    if cols.get("phone_hash"):
        keys.append(("phone", cols["phone_hash"]))
    if cols.get("birth_date") and cols.get("origin_code"):
        keys.append(("born", (cols["birth_date"], cols["origin_code"])))
    return keys


class MergeAlone(Exception):
    """The submission needs merge.py's one-at-a-time merge (a case the batch does not cover)."""


@dataclass
class Record:
    """A record as this batch sees it: its columns (``fastpath.RECORD_COLUMNS``) and whether the batch wrote it."""

    values: dict[str, Any]
    new: bool = False
    changed: bool = False
    updated_at: Any = None
    geometry: Any = None

    @property
    def id(self) -> int:
        """The record's id (drawn for a new one before it is written)."""
        return int(self.values["id"])

    def copy(self) -> Record:
        """A copy to take back if the submission changing the record is refused."""
        return Record(dict(self.values), self.new, self.changed, self.updated_at, self.geometry)

    def restore(self, before: Record) -> None:
        """Take back the state of ``before`` (a copy of this record)."""
        self.values, self.changed, self.updated_at, self.geometry = (
            before.values, before.changed, before.updated_at, before.geometry)


@dataclass
class Staged:
    """What a pass will write, in order; a refused submission's share is cut off again (``marks``, ``truncate``)."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[tuple[str, MergeOutcome, SubmissionEssentials, int | None, str | None, dict[str, Any] | None]] = (
        field(default_factory=list))
    pairs: list[tuple[tuple[int, int], dict[str, Any], MergeOutcome]] = field(default_factory=list)
    new: list[Record] = field(default_factory=list)

    def marks(self) -> tuple[int, ...]:
        """How much is staged now."""
        return len(self.versions), len(self.events), len(self.results), len(self.pairs), len(self.new)

    def truncate(self, marks: tuple[int, ...]) -> None:
        """Drop what was staged since ``marks``."""
        del self.versions[marks[0]:], self.events[marks[1]:], self.results[marks[2]:], self.pairs[marks[3]:]
        del self.new[marks[4]:]


class BlockStager:
    """One block's create or update on the batch's records (records.BlockWriter's rules, staged)."""

    def __init__(self, run: BatchRun, ess: SubmissionEssentials, source: BlockSource, props: dict[str, Any]) -> None:
        self.run, self.ess, self.ds, self.key = run, ess, source.ds, source.key
        self.props = props
        session = run.session
        self.placement = moves.place(session, self.ds.spec, props, ess.point, ess.unit_path,
                                     lambda: submitter(session, ess.submitter_id), locate=run.locate)

    def _source(self) -> dict[str, Any]:
        return {"source_type": self.ess.source_type, "source_id": self.ess.instance_id}

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
        moves.refuse_outside(self.ds.spec, self.placement)
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

    def update(self, rec: Record, base: int | None, action: str) -> MergeOutcome:
        """Apply the submission to a record: the cases without a move, a departure, a held move or a conflict."""
        spec, sealer, placement, ess = self.ds.spec, self.run.sealer, self.placement, self.ess
        values = rec.values
        if rules.is_departure(self.props):
            raise MergeAlone
        moves.refuse_outside(self.ds.spec, self.placement)
        held = placement.located and placement.outside and spec.placement.on_outside == "review"
        moving = placement.located and placement.unit_path != values["unit_path"]
        stale = base is not None and base < values["version"]
        if held or moving or stale or values["status"] != EntityStatus.ACTIVE.value:
            raise MergeAlone
        current = {**values["properties"], **store.open_sealed(values["sealed"] or {}, sealer)}
        changed = rules.changed_properties(current, self.props)
        new_props = rules.apply_changes(current, self.props)
        old_keys = tuple(values[k] for k in KEY_COLUMNS)
        self.run.change(rec, {
            "version": values["version"] + 1,
            **store.stored_values(spec, {k: v for k, v in new_props.items() if v is not None}, sealer,
                                  values["label"]),
        })
        rec.updated_at = ess.received_at
        if placement.located:
            rec.geometry = point_element(*placement.point) if placement.point is not None else rec.geometry
        outcome = MergeOutcome(self.ds.name, action, values["uuid"], values["version"])
        if old_keys != tuple(values[k] for k in KEY_COLUMNS):
            self._candidates(rec, outcome)
        self._version(rec, base_version=base if base is not None else values["version"] - 1, changed=changed)
        self._event(rec, EventKind.UPDATED, event_date=None, detail={"changed": changed})
        self._result(rec, outcome)
        return outcome

    def _candidates(self, rec: Record, outcome: MergeOutcome) -> None:
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

    def _version(self, rec: Record, *, base_version: int | None, changed: list[str]) -> None:
        values = rec.values
        self.run.staged.versions.append({
            "entity_id": rec.id, "version": values["version"], "base_version": base_version,
            "label": values["label"], "properties": dict(values["properties"]), "sealed": dict(values["sealed"]),
            "changed": list(changed), "unit_path": values["unit_path"], "author_id": self.ess.submitter_id,
            "conflict": None, "conflict_detail": None, **self._source()})

    def _event(self, rec: Record, kind: EventKind, *, event_date: str | None, detail: dict[str, Any]) -> None:
        values = rec.values
        self.run.staged.events.append({
            "dataset_id": values["dataset_id"], "entity_id": rec.id, "kind": kind.value, "version": values["version"],
            "unit_path": values["unit_path"], "previous_unit_path": None, "event_date": event_date,
            "actor_id": self.ess.submitter_id, "detail": detail, **self._source()})

    def _result(self, rec: Record, outcome: MergeOutcome) -> None:
        path = self.ess.unit_path or rec.values["unit_path"]
        self.run.staged.results.append((self.key, outcome, self.ess, rec.id, path, None))
