"""Folding a validated submission into the registry.

A form's ``entities`` block says which dataset it writes, and its ``save_to``
map which answers become which properties. For each block the merge:

1. claims the source (``registry_sources``, unique by instance id and
   dataset, or by ``source_key`` and dataset: an import row claims its
   source and content): a second run of the same submission finds the claim
   and changes nothing, and two concurrent runs collide on the unique key;
2. decides create or update by evaluating the block's ``entity_id``,
   ``create_if`` and ``update_if`` itself (conditions.py); when neither
   holds the submission merges without touching the dataset, and the claim
   row (the merge result) says ``skipped`` and which condition was false;
3. on create, looks the strong key up by keyed hash city-wide: an exact match
   *updates* that record instead of making a second one; otherwise it creates
   the record and puts near matches in the duplicate queue;
4. on update, locks the record (``SELECT … FOR UPDATE`` on PostgreSQL), and if
   the submission's base version is older than the current one applies it
   anyway, as ODK Central does, but flags the version soft (the unseen versions
   changed other properties) or hard (they changed the same ones), keeping
   base, current and incoming values for the supervisor; a move the
   submitter may not make alone (outside their scope) waits for a
   supervisor instead (moves.py, ``on_outside: review``);
5. writes the version, the ``created``/``updated`` event and the residence
   events (moves.py), all in the caller's transaction.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from server.domain import cases
from server.domain.cases import form_opens_cases
from server.domain.datasets import DatasetSpec
from server.domain.departments import CASE_DATASET, duties
from server.errors import ConflictError, NotFoundError, RuleViolation
from server.forms.dependencies import entity_label_path
from server.registry import conditions, fastpath, history, rules, store
from server.registry.records import (
    UUID_TAKEN,
    BlockWriter,
    MergeOutcome,
    SubmissionEssentials,
    find_entity,
    result_row,
    submitter,
)
from server.sealing import masking
from server.sealing.crypto import Sealer
from server.submissions import privacy

__all__ = ["MergeOutcome", "SubmissionEssentials", "lookup", "merge_submission_data"]


# --------------------------------------------------------------------------- data tree


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """An answer by field path: '/form/group/field', 'group/field', '${field}' or a bare name."""
    path = path.strip()
    if path.startswith("${") and path.endswith("}"):
        path = path[2:-1]
    parts = [p for p in path.split("/") if p]
    for candidate in (parts, parts[1:]):
        node: Any = data
        for part in candidate:
            node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                break
        if candidate and node is not None:
            return node
    return _find(data, parts[-1]) if parts else None


def _find(node: Any, key: str) -> Any:
    if not isinstance(node, Mapping):
        return None
    if key in node and not isinstance(node[key], list):
        return node[key]
    for value in node.values():
        if isinstance(value, Mapping) and (found := _find(value, key)) is not None:
            return found
    return None


def _entity_meta(data: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = lookup(data, "meta/entity")
    if not isinstance(meta, Mapping):
        return {}
    return {str(k).lstrip("@"): v for k, v in meta.items()}


# --------------------------------------------------------------------------- merge


def merge_submission_data(session: Session, essentials: SubmissionEssentials, sealer: Sealer) -> list[MergeOutcome]:
    """Fold one submission into the registry: one outcome per entities block."""
    history.lock_feed(session)  # before any row lock: one lock order for every registry writer
    return [_merge_block(session, essentials, block, sealer) for block in blocks_of(essentials)]


def blocks_of(essentials: SubmissionEssentials) -> list[Mapping[str, Any]]:
    """The submission's non-empty entities blocks, in order."""
    entities = essentials.entities
    return [b for b in ([entities] if isinstance(entities, Mapping) else list(entities)) if b]


@dataclass(frozen=True)
class BlockSource:
    """Which dataset a block writes (its declaration when the submission was received) and its claim key."""

    name: str
    ds: store.DatasetRef
    key: str


def block_source(session: Session, ess: SubmissionEssentials, block: Mapping[str, Any]) -> BlockSource:
    """The block's dataset and claim key (404 for a dataset not declared)."""
    name = str(block.get("dataset") or block.get("list_name") or "")
    ds = store.get_dataset(session, name, at=ess.received_at)  # the declaration in force when received
    key = f"{ess.source_key}:{name}" if ess.source_key else f"submission:{ess.instance_id}:{name}"
    return BlockSource(name, ds, key)


@dataclass
class PreparedBlock:
    """What a block says before the registry is consulted: the decision, the values, which record and version.

    ``skipped``: the merge result's detail when neither create nor update holds.
    """

    decision: conditions.Decision
    props: dict[str, Any] = field(default_factory=dict)
    entity_id: str | None = None
    base: int | None = None
    chosen: Any = None  # the uuid a new record takes, as the device chose it (entity_id or meta/entity/@id)
    skipped: dict[str, Any] | None = None


def prepare_block(ess: SubmissionEssentials, block: Mapping[str, Any], source: BlockSource) -> PreparedBlock:
    """Evaluate the block's expressions and normalise its values (no database; raises what the block refuses)."""
    name, ds = source.name, source.ds
    meta = _entity_meta(ess.data)
    exprs = conditions.BlockExpressions(block, ess.data, ess.form)
    if ess.create is not None or ess.update is not None:
        decision = conditions.Decision(bool(ess.create), bool(ess.update))
    else:
        decision = exprs.decide()
    if not (decision.create or decision.update):
        outcome = MergeOutcome(name, "skipped", reason=decision.reason)
        detail = {**outcome.detail(), **{k: block[k] for k in ("create_if", "update_if") if block.get(k)}}
        return PreparedBlock(decision, skipped=detail)
    save_to: Mapping[str, str] = block.get("save_to") or {}
    raw = {prop: lookup(ess.data, path) for path, prop in save_to.items()}
    props = rules.normalise(ds.spec, raw)
    entity_id = (exprs.value("entity_id") if block.get("entity_id") else None) or None
    base = ess.base_version if ess.base_version is not None else _int(meta.get("baseVersion"))
    label = exprs.value("label") or meta.get("label")
    if label and not props.get(ds.spec.label_property):
        props[ds.spec.label_property] = _plain_label(str(label), ess)
    _mask_copies(ds.spec, props, raw)
    return PreparedBlock(decision, props, entity_id, base, entity_id or meta.get("id"))


def opens_case(ess: SubmissionEssentials, name: str) -> bool:
    """True when a new record of this block is a case (a follow-up of a form that opens cases)."""
    return name == CASE_DATASET and form_opens_cases(ess.form)


def _merge_block(session: Session, ess: SubmissionEssentials, block: Mapping[str, Any], sealer: Sealer) -> MergeOutcome:
    source = block_source(session, ess, block)
    name, ds = source.name, source.ds
    claim_id = fastpath.claim(session, source.key)
    if claim_id is None:
        return MergeOutcome(name, "already_merged")
    prepared = prepare_block(ess, block, source)
    if prepared.skipped is not None:
        outcome = MergeOutcome(name, "skipped", reason=prepared.decision.reason)
        _done(session, claim_id, ess, outcome, None, source_path(session, ess), prepared.skipped)
        return outcome
    decision, entity_id = prepared.decision, prepared.entity_id
    ctx = BlockWriter(session, ds, sealer, ess, prepared.props, claim_id)
    entity = find_entity(session, entity_id) if entity_id and decision.update else None
    if entity is not None:
        outcome = ctx.update(entity, prepared.base, "updated")
    elif decision.create:
        if opens_case(ess, name):  # a new follow-up of such a form is a case
            ctx.props = cases.opened(duties(), ctx.props, date.fromisoformat(ess.received_on))
        new_uuid = new_record_uuid(prepared.chosen)
        # Only a uuid the device chose can already exist; one made here is fresh (uuid4).
        if prepared.chosen not in (None, "") and session.scalar(UUID_TAKEN, {"uuid": new_uuid}) is not None:
            raise entity_exists(new_uuid)
        outcome = ctx.create(new_uuid)
    else:
        raise entity_not_found(entity_id)
    if not ctx.recorded:
        path = ess.unit_path or ctx.entity_path or source_path(session, ess)
        _done(session, claim_id, ess, outcome, ctx.entity_id, path, outcome.detail())
    return outcome


def entity_exists(entity_uuid: str) -> ConflictError:
    """A new record's uuid (chosen on the device) names a record already."""
    return ConflictError(f"entity {entity_uuid} already exists", code="registry.entity_exists",
                         message_zh="该登记对象已存在")


def entity_not_found(entity_id: str | None) -> NotFoundError:
    """An update names a record the registry does not hold."""
    return NotFoundError(f"entity {entity_id} not found", code="registry.entity_not_found",
                         message_zh="要更新的登记对象不存在")


def _plain_label(label: str, ess: SubmissionEssentials) -> str:
    """The block's label as a record may show it: masked like its sources when computed from sensitive answers."""
    form = ess.form
    kind = privacy.derived_paths(form).get(entity_label_path(form)) if form else None
    if form is None or kind is None:
        return label
    kinds = masking.SEALED_TYPES if kind in masking.SEALED_TYPES else frozenset({kind})
    return privacy.conceal(label, privacy.secrets_of(privacy.body_of(dict(ess.data), form), form, kinds))


def _mask_copies(spec: DatasetSpec, props: dict[str, Any], raw: Mapping[str, Any]) -> None:
    """No plain property (the label included) holds a sealed value: copies of ID or phone numbers are masked."""
    secrets = [(spec.properties[name].type, str(value))
               for values in (props, raw) for name, value in values.items()
               if name in spec.properties and spec.properties[name].type in masking.SEALED_TYPES
               and len(str(value or "")) >= 6 and not isinstance(value, (dict, list))]
    if not secrets:
        return
    for name, value in props.items():
        prop = spec.properties.get(name)
        if isinstance(value, str) and (prop is None or prop.type not in masking.SEALED_TYPES):
            props[name] = privacy.mask_within(value, secrets)[0]


def _done(
    session: Session,
    claim_id: int,
    ess: SubmissionEssentials,
    outcome: MergeOutcome,
    entity_id: int | None,
    unit_path: str | None,
    detail: dict[str, Any],
) -> None:
    """Record the merge result on the claim row."""
    history.record_result(session, claim_id, result_row(ess, outcome, entity_id, unit_path, detail))


def source_path(session: Session, ess: SubmissionEssentials) -> str | None:
    """Where the submission belongs, for scoping its merge result: its unit, else the submitter's first."""
    if ess.unit_path:
        return ess.unit_path
    user = submitter(session, ess.submitter_id)
    return user.scopes[0].unit.path if user is not None and user.scopes else None


def new_record_uuid(candidate: Any) -> str:
    """The uuid for a new record: the one the device chose (ODK's meta/entity/@id), else a fresh one."""
    if candidate in (None, ""):
        return str(uuidlib.uuid4())
    text = str(candidate).strip().removeprefix("uuid:")
    try:
        return str(uuidlib.UUID(text))
    except ValueError as exc:
        raise RuleViolation(
            f"entity id {candidate!r} is not a UUID",
            code="registry.bad_entity_id",
            message_zh="实体标识不是有效的 UUID",
            errors={"entity_id": ["not a UUID"]},
        ) from exc


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None
