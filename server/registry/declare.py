"""Changing dataset declarations: the city's file, properties added by designers, reading them back.

Every change writes a new ``dataset_versions`` row (the whole block, so any
version can be read on its own), moves ``datasets.version`` to it, tells the
loader (declarations.py) and is audited as ``dataset.declare``.

forms/datasets.yaml stays the readable source of the city's model. Applying
it is idempotent: a dataset whose block is the one last applied is left
alone, even when designers have added properties since. A changed block is a
migration of the declaration: the new block plus the properties added since
through the API or by publishing forms. It is refused, naming each problem,
where it would lose data or leave it unreadable: removing a property (or a
dataset) in use, or changing an in-use property's type or sensitivity. A
property is in use when a record (or a version of one) holds a value for it,
or a form version saves to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit.service import record
from server.domain.datasets import DEFAULT_PATH, DatasetDeclarationError, DatasetSpec, parse_dataset
from server.domain.declaration_rules import block_digest, from_stored, read_blocks, to_stored
from server.errors import RuleViolation
from server.forms.models import FormVersion
from server.registry import declarations
from server.registry.models import Dataset, DatasetVersion, Entity, EntityVersion


class DeclarationRefused(RuleViolation):
    """The declaration is invalid, or the change would lose data; ``errors`` names each problem."""

    code, message_zh = "registry.declaration_refused", "数据集声明有误或变更会丢失数据，未作修改"


@dataclass
class DeclarationChange:
    """What applying a declaration did to one dataset."""

    dataset: str
    version: int
    changed: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)


def refused(problems: list[tuple[str, str]], message: str = "the declaration was not changed") -> DeclarationRefused:
    """The error for (path, message) problems."""
    return DeclarationRefused(message, errors={"declaration": [{"path": p, "message": m} for p, m in problems]})


def check_block(name: str, block: Mapping[str, Any]) -> DatasetSpec:
    """A block's typed spec, or 422 listing every problem."""
    try:
        return parse_dataset(name, dict(block))
    except DatasetDeclarationError as exc:
        raise refused(exc.problems, "invalid dataset declaration") from exc


def row_values(spec: DatasetSpec) -> dict[str, Any]:
    """The dataset row's summary columns for a declaration."""
    properties = [
        {"name": p.name, "type": p.type.value, "label_zh": p.label_zh, "label_en": p.label_en,
         "sensitive": p.sensitive, "required": p.required, "list": p.list_name, "multiple": p.multiple,
         "derived": p.derive is not None, **({"dataset": p.dataset} if p.dataset else {})}
        for p in spec.properties.values()
    ]
    placement = spec.placement
    return {
        "label_zh": spec.label_zh, "label_en": spec.label_en, "label_property": spec.label_property,
        "properties": properties,
        "identity": {"strong": list(spec.identity.strong), "near": list(spec.identity.near)},
        "placement": {
            "geopoint": placement.geopoint, "level": placement.level, "on_missing": placement.on_missing,
            "on_outside": placement.on_outside,
            **({"follows": placement.follows} if placement.follows else {}),
            **({"moves_while": {placement.moves_while[0]: list(placement.moves_while[1])}}
               if placement.moves_while else {}),
        },
        "merge_requires_approval": spec.merge_requires_approval,
    }


def current_block(session: Session, row: Dataset) -> dict[str, Any]:
    """The block of the version in force (empty before the first)."""
    found = session.scalar(select(DatasetVersion.declaration).where(
        DatasetVersion.dataset_id == row.id, DatasetVersion.version == row.version))
    return from_stored(found)


def property_use(session: Session, row: Dataset, prop: str) -> str | None:
    """Why a property is in use (records hold it, or a form saves to it), or None."""
    def holds(model: type[Entity] | type[EntityVersion]) -> Any:
        return or_(model.properties[prop].as_string().is_not(None), model.sealed[prop].as_string().is_not(None))

    if session.scalar(select(Entity.id).where(Entity.dataset_id == row.id, holds(Entity)).limit(1)) is not None:
        return "records hold values for it"
    in_versions = (select(EntityVersion.id).join(Entity, Entity.id == EntityVersion.entity_id)
                   .where(Entity.dataset_id == row.id, holds(EntityVersion)).limit(1))
    if session.scalar(in_versions) is not None:
        return "record versions hold values for it"
    for version in session.scalars(select(FormVersion).where(FormVersion.dataset == row.name)):
        if prop in ((version.definition.get("entities") or {}).get("save_to") or {}).values():
            return f"form {version.form_id} version {version.version} saves to it"
    return None


def migration_problems(session: Session, row: Dataset, old: DatasetSpec, new: DatasetSpec,
                       path: str) -> list[tuple[str, str]]:
    """Where replacing ``old`` by ``new`` would lose or strand data."""
    problems = []
    for name, before in old.properties.items():
        after = new.properties.get(name)
        if after is not None and (after.type, after.sensitive) == (before.type, before.sensitive):
            continue
        use = property_use(session, row, name)
        if use is None:
            continue
        if after is None:
            problems.append((f"{path}.properties.{name}", f"cannot remove {name!r}: {use}"))
        elif after.type is not before.type:
            problems.append((f"{path}.properties.{name}.type",
                             f"cannot change the type of {name!r} from {before.type} to {after.type}: {use}"))
        else:
            problems.append((f"{path}.properties.{name}.sensitive",
                             f"cannot change whether {name!r} is sensitive: {use}"))
    return problems


def _diff(old: DatasetSpec | None, new: DatasetSpec) -> tuple[list[str], list[str], list[str]]:
    before = dict(old.properties) if old else {}
    added = [n for n in new.properties if n not in before]
    removed = [n for n in before if n not in new.properties]
    altered = [n for n, p in new.properties.items() if n in before and before[n] != p]
    return added, removed, altered


def write_version(session: Session, name: str, block: Mapping[str, Any], *, source: str,
                  actor_id: int | None, now: datetime | None = None, row: Dataset | None = None,
                  old: DatasetSpec | None = None) -> DeclarationChange:
    """Put a checked block in force as the dataset's next version, audited."""
    spec = check_block(name, block)
    now = now or datetime.now(UTC)
    if row is None:
        row = Dataset(name=name, version=0, **row_values(spec), digest="")
        session.add(row)
    else:
        for key, value in row_values(spec).items():
            setattr(row, key, value)
    row.version = (row.version or 0) + 1
    row.digest = block_digest(block)
    row.updated_at = now
    session.flush()
    session.add(DatasetVersion(dataset_id=row.id, version=row.version, declaration=to_stored(block), digest=row.digest,
                               source=source, created_by=actor_id, created_at=now))
    session.flush()
    declarations.changed(session)
    added, removed, altered = _diff(old, spec)
    record(session, actor_id, "dataset.declare", target_type="dataset", target_id=name,
           detail={"version": row.version, "source": source, "added": added, "removed": removed, "altered": altered})
    return DeclarationChange(name, row.version, True, added, removed, altered)


def _check_links(blocks: Mapping[str, Mapping[str, Any]], known: set[str]) -> list[tuple[str, str]]:
    problems = []
    for name, block in blocks.items():
        for prop, raw in (block.get("properties") or {}).items():
            target = raw.get("dataset") if isinstance(raw, dict) else None
            if target and target not in known:
                problems.append((f"datasets.{name}.properties.{prop}.dataset", f"{target!r} is not a declared dataset"))
    return problems


def apply_file(session: Session, path: Path | str = DEFAULT_PATH, *, actor_id: int | None = None,
               now: datetime | None = None) -> list[DeclarationChange]:
    """Apply forms/datasets.yaml: new datasets declared, changed ones migrated, unchanged ones left alone."""
    try:
        file_blocks = read_blocks(path)
    except DatasetDeclarationError as exc:
        raise refused(exc.problems, f"{path} is not a valid declaration") from exc
    rows = {row.name: row for row in session.scalars(select(Dataset))}
    plans: dict[str, tuple[Dataset | None, dict[str, Any], DatasetSpec | None]] = {}
    problems: list[tuple[str, str]] = []
    results = []
    for name, block in file_blocks.items():
        row = rows.get(name)
        last_file = from_stored(row.file_declaration) if row is not None else {}
        if row is not None and row.version > 0 and block_digest(last_file) == block_digest(block):
            results.append(DeclarationChange(name, row.version, False))
            continue
        if row is None or row.version == 0:
            plans[name] = (row, block, None)
            continue
        current = current_block(session, row)
        merged = _merge(last_file, block, current)
        old, new = check_block(name, current), check_block(name, merged)
        problems += migration_problems(session, row, old, new, f"datasets.{name}")
        plans[name] = (row, merged, old)
    for name, row in rows.items():
        if name not in file_blocks and row.file_declaration is not None:
            problems += [(f"datasets.{name}", f"cannot remove dataset {name!r}: {use}")
                         for use in [_dataset_use(session, row)] if use]
    known = set(rows) | set(file_blocks)
    problems += _check_links({n: b for n, (_, b, _) in plans.items()}, known)
    if problems:
        raise refused(problems, "the new declaration would lose data or is inconsistent; nothing was changed")
    for name, (planned, block, before) in plans.items():
        if planned is not None and planned.version > 0 and block_digest(block) == planned.digest:
            results.append(DeclarationChange(name, planned.version, False))
        else:
            results.append(write_version(session, name, block, source="file", actor_id=actor_id, now=now,
                                         row=planned, old=before))
        target = planned or session.scalar(select(Dataset).where(Dataset.name == name))
        assert target is not None
        target.file_declaration = to_stored(file_blocks[name])
    session.flush()
    return sorted(results, key=lambda r: r.dataset)


def _merge(old_file: Mapping[str, Any], new_file: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The new file's block plus the properties declared since the old file (through the API or forms)."""
    merged = dict(new_file)
    file_props = set(old_file.get("properties") or {}) | set(new_file.get("properties") or {})
    extra = {n: p for n, p in (current.get("properties") or {}).items() if n not in file_props}
    merged["properties"] = {**(new_file.get("properties") or {}), **extra}
    return merged


def _dataset_use(session: Session, row: Dataset) -> str | None:
    if session.scalar(select(Entity.id).where(Entity.dataset_id == row.id).limit(1)) is not None:
        return "it has records"
    form = session.scalar(select(FormVersion).where(FormVersion.dataset == row.name).limit(1))
    return f"form {form.form_id} writes to it" if form is not None else None

