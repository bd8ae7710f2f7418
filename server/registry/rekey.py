"""Key rotation: reseal every sealed registry value under the current key (``gridreg registry rekey``).

Rotating the encryption key is three steps (README, "Key rotation"):

1. set the new key as ``GRIDREG_ENCRYPTION_KEY`` and move the old one to
   ``GRIDREG_ENCRYPTION_KEYS_OLD``; everything keeps working, because tokens
   name their key id and lookups match hashes under every known key;
2. run ``gridreg registry rekey``: it walks ``entities`` and then
   ``entity_versions`` in id order, one batch per transaction, and rewrites a
   row only when one of its tokens is under a retired key or (entities) a
   keyed hash differs from the current key's (see server/sealing/crypto.py for why the hash
   key follows the master key). Sealed values inside a version's conflict
   detail are resealed too. Each batch that changed something writes one
   audit event; the run ends with a summary event;
3. when ``--check`` reports nothing left, drop the old key from the setting.
   Submission answers and raw files, webhook secrets and stored webhook bodies are
   sealed with the same key; their steps (``server.submissions.rekey``,
   ``server.webhooks.rekey``) run after the registry's tables.

Idempotent and resumable: a second run rewrites nothing, and a run that was
interrupted (each batch has committed) simply continues, skipping the rows
already done. Each batch takes the change-feed lock before its row locks,
like every registry writer (history.py), so a merge running meanwhile waits for
the batch instead of having its new version overwritten by an older value.
Append-only versions are rewritten here in one way only: the same plaintext
under a new ciphertext; nothing a reader sees changes.

Other contexts that seal with the same ``Sealer`` (sealed submission
answers) have their step in ``OTHER_STEPS``: a name and a function
``(session, sealer, after_id, limit, write) -> BatchResult`` with the same
contract (server/sealing/rekeying.py) (rows with id > after_id, at most limit, rewritten only when
needed); the run walks them after the registry's tables, audited alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.service import record
from server.registry import history, store
from server.registry.models import Dataset, Entity, EntityVersion
from server.sealing.crypto import Sealer, SealError
from server.sealing.rekeying import BatchResult, RekeyStep, UnknownKeyError
from server.submissions.rekey import reseal_submissions
from server.webhooks.rekey import reseal_bodies, reseal_secrets

TABLES = ("entities", "entity_versions")
DEFAULT_BATCH = 500
# Steps of other contexts that seal with the same key, walked after the registry's tables (module docstring).
OTHER_STEPS: dict[str, RekeyStep] = {
    "submissions": reseal_submissions,
    "webhook_subscriptions": reseal_secrets,
    "webhook_deliveries": reseal_bodies,
}


@dataclass
class RekeyReport:
    """Totals of a whole run, per table."""

    key_id: str
    write: bool
    tables: dict[str, BatchResult] = field(default_factory=dict)

    def add(self, batch: BatchResult) -> None:
        """Fold one batch into the totals."""
        total = self.tables.setdefault(batch.table, BatchResult(batch.table))
        total.scanned += batch.scanned
        total.resealed += batch.resealed
        total.rehashed += batch.rehashed
        total.changed += batch.changed
        total.last_id = batch.last_id if batch.last_id is not None else total.last_id

    @property
    def remaining(self) -> int:
        """Rows that needed (``--check``) or got (a writing run) new tokens or hashes."""
        return sum(t.changed for t in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the audit trail and the command's output."""
        return {
            "key_id": self.key_id,
            "write": self.write,
            "tables": {
                name: {"scanned": t.scanned, "changed": t.changed, "resealed": t.resealed, "rehashed": t.rehashed}
                for name, t in self.tables.items()
            },
        }


def _open(sealer: Sealer, table: str, row_id: int, prop: str, token: str) -> str:
    try:
        return sealer.open(prop, token)
    except SealError as exc:
        kid = token.partition(":")[0]
        raise UnknownKeyError(
            f"{table} row {row_id}: {prop} is sealed under key id {kid!r}, which is not configured; "
            "add that key to GRIDREG_ENCRYPTION_KEYS_OLD and run again",
            errors={"key_id": [kid], "table": [table], "row": [row_id]},
        ) from exc


def _resealed(sealer: Sealer, table: str, row_id: int, sealed: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for prop, token in sealed.items():
        out[prop] = token if not sealer.needs_reseal(token) else sealer.seal(
            prop, _open(sealer, table, row_id, prop, token)
        )
    return out


def _specs(session: Session) -> dict[int, Any]:
    """dataset id -> its declaration (datasets no longer declared are resealed but not rehashed)."""
    declared = store.declared(session)
    return {row.id: declared.get(row.name) for row in session.scalars(select(Dataset))}


def _entity_hashes(sealer: Sealer, spec: Any, plain: Mapping[str, str]) -> dict[str, str | None] | None:
    if spec is None:
        return None
    id_prop, phone_prop = store.id_property(spec), store.phone_property(spec)
    id_number = plain.get(id_prop) if id_prop else None
    phone = plain.get(phone_prop) if phone_prop else None
    return {
        "id_hash": sealer.digest("resident_id", id_number) if id_number else None,
        "phone_hash": sealer.digest("phone", phone) if phone else None,
    }


def _entities(session: Session, sealer: Sealer, after: int, limit: int, write: bool) -> BatchResult:
    result = BatchResult("entities")
    specs = _specs(session)
    query = select(Entity).where(Entity.id > after).order_by(Entity.id).limit(limit)
    for entity in session.scalars(query.with_for_update() if write else query):
        result.scanned += 1
        result.last_id = entity.id
        sealed = dict(entity.sealed or {})
        plain = {p: _open(sealer, "entities", entity.id, p, t) for p, t in sealed.items()}
        resealed = any(sealer.needs_reseal(t) for t in sealed.values())
        hashes = _entity_hashes(sealer, specs.get(entity.dataset_id), plain)
        rehashed = hashes is not None and any(getattr(entity, k) != v for k, v in hashes.items())
        result.resealed += resealed
        result.rehashed += rehashed
        result.changed += resealed or rehashed
        if write and resealed:
            entity.sealed = {p: sealer.seal(p, plain[p]) if sealer.needs_reseal(t) else t for p, t in sealed.items()}
        if write and rehashed and hashes is not None:
            for key, value in hashes.items():
                setattr(entity, key, value)
    return result


def _conflict_detail(
    sealer: Sealer, row_id: int, detail: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The conflict detail with its sealed base/current/incoming values under the current key."""
    if not detail or not detail.get("values"):
        return None
    values: dict[str, Any] = {}
    changed = False
    for prop, triple in detail["values"].items():
        if isinstance(triple, Mapping) and triple.get("sealed"):
            new = dict(triple)
            for which in ("base", "current", "incoming"):
                token = triple.get(which)
                if isinstance(token, str) and sealer.needs_reseal(token):
                    new[which] = sealer.seal(prop, _open(sealer, "entity_versions", row_id, prop, token))
                    changed = True
            values[prop] = new
        else:
            values[prop] = triple
    return {**detail, "values": values} if changed else None


def _versions(session: Session, sealer: Sealer, after: int, limit: int, write: bool) -> BatchResult:
    result = BatchResult("entity_versions")
    query = select(EntityVersion).where(EntityVersion.id > after).order_by(EntityVersion.id).limit(limit)
    for version in session.scalars(query.with_for_update() if write else query):
        result.scanned += 1
        result.last_id = version.id
        sealed = dict(version.sealed or {})
        new_sealed = _resealed(sealer, "entity_versions", version.id, sealed)
        detail = _conflict_detail(sealer, version.id, version.conflict_detail)
        if new_sealed != sealed or detail is not None:
            result.resealed += 1
            result.changed += 1
            if write:
                version.sealed = new_sealed
                if detail is not None:
                    version.conflict_detail = detail
    return result


_STEPS: dict[str, RekeyStep] = {
    "entities": _entities,
    "entity_versions": _versions,
}


def _step(table: str) -> RekeyStep:
    return _STEPS[table] if table in _STEPS else OTHER_STEPS[table]


def tables() -> tuple[str, ...]:
    """Every table a run walks, in order: the registry's own, then the other contexts' steps."""
    return TABLES + tuple(OTHER_STEPS)


def rekey_batch(
    session: Session, sealer: Sealer, table: str, after: int, limit: int = DEFAULT_BATCH, *, write: bool = True
) -> BatchResult:
    """One batch of one table: rows with id > ``after``, resealed (and rehashed) where needed, audited."""
    if write:
        history.lock_feed(session)  # before the row locks, like every registry writer
    result = _step(table)(session, sealer, after, limit, write)
    if write and result.changed:
        record(
            session,
            None,
            "registry.rekey",
            target_type=table,
            detail={
                "key_id": sealer.kid,
                "after_id": after,
                "last_id": result.last_id,
                "scanned": result.scanned,
                "resealed": result.resealed,
                "rehashed": result.rehashed,
            },
        )
    return result


def rekey(
    open_session: Callable[[], AbstractContextManager[Session]],
    sealer: Sealer,
    *,
    batch: int = DEFAULT_BATCH,
    write: bool = True,
    progress: Callable[[BatchResult], None] | None = None,
) -> RekeyReport:
    """Reseal everything, one committed transaction per batch (``open_session`` commits on exit)."""
    report = RekeyReport(sealer.kid, write)
    for table in tables():
        report.tables.setdefault(table, BatchResult(table))
        for result in _batches(open_session, sealer, table, batch, write):
            report.add(result)
            if progress is not None:
                progress(result)
    if write:
        with open_session() as session:
            record(session, None, "registry.rekey_finished", detail=report.as_dict())
    return report


def _batches(
    open_session: Callable[[], AbstractContextManager[Session]], sealer: Sealer, table: str, batch: int, write: bool
) -> Iterator[BatchResult]:
    after = 0
    while True:
        with open_session() as session:
            result = rekey_batch(session, sealer, table, after, batch, write=write)
        if result.last_id is None:
            return
        yield result
        after = result.last_id
