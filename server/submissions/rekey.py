"""Key rotation for submissions: the registry's rekey step that reseals sealed answers and raw files.

``gridreg registry rekey`` walks this step after the registry's own tables
(``server.registry.rekey.OTHER_STEPS``). Per batch of submissions, in id order:

- sealed answers under a retired key are resealed under the current one, and
  answers of rows stored before sealing existed are sealed now;
- the raw file, when sealed under a retired key or stored in plain text, is
  written again sealed under the current key, and the row points to it; the old
  file is removed once the batch has committed.

The immutability trigger lets exactly these columns change, and only while
this transaction holds a row in ``submission_reseals`` (migration 0006).
Nothing a reader sees changes. Idempotent: a second run finds nothing to do.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from server import worker
from server.db import after_commit
from server.forms.models import definition_by_id
from server.media.storage import MediaStore, media_store
from server.sealing.crypto import SEALED_PAYLOAD, Sealer, SealError
from server.sealing.rekeying import BatchResult, UnknownKeyError
from server.submissions.models import Submission, submission_reseals
from server.submissions.sealing import open_raw, reseal_answers, seal_answers, seal_raw

_TABLE = cast(Table, Submission.__table__)
_SET = (update(_TABLE).where(_TABLE.c.id == bindparam("sid"))
        .values(data=bindparam("data"), raw_sha256=bindparam("raw_sha256"), raw_size=bindparam("raw_size")))


def reseal_submissions(session: Session, sealer: Sealer, after: int, limit: int, write: bool) -> BatchResult:
    """One batch: submissions with id > ``after`` moved to the current key where needed."""
    result = BatchResult("submissions")
    store = media_store(worker.settings())
    query = (select(_TABLE.c.id, _TABLE.c.instance_id, _TABLE.c.form_version_id, _TABLE.c.data,
                    _TABLE.c.raw_sha256, _TABLE.c.raw_size)
             .where(_TABLE.c.id > after).order_by(_TABLE.c.id).limit(limit))
    rows = session.execute(query.with_for_update() if write else query).all()
    changes: list[dict[str, Any]] = []
    for row in rows:
        result.scanned += 1
        result.last_id = row.id
        definition = definition_by_id(session, row.form_version_id)
        try:
            data = reseal_answers(row.data, definition, sealer, row.instance_id) or row.data
            data = seal_answers(data, definition, sealer, row.instance_id)  # rows stored before sealing
            raw = _raw_under_current_key(store, sealer, row.raw_sha256, row.instance_id)
        except SealError as exc:
            raise UnknownKeyError(
                f"submission {row.instance_id} is sealed under a key that is not configured; "
                "add it to GRIDREG_ENCRYPTION_KEYS_OLD and run again",
                errors={"table": ["submissions"], "row": [row.id]}) from exc
        if data == row.data and raw is None:
            continue
        result.resealed += 1
        result.changed += 1
        if write:
            blob = store.put(raw) if raw is not None else None
            changes.append({"sid": row.id, "data": data, "old": row.raw_sha256,
                            "raw_sha256": blob.sha256 if blob else row.raw_sha256,
                            "raw_size": blob.size if blob else row.raw_size})
    if changes:
        _apply(session, store, changes)
    return result


def _raw_under_current_key(store: MediaStore, sealer: Sealer, sha: str, instance_id: str) -> bytes | None:
    """The raw file sealed under the current key, or None when it already is."""
    try:
        stored = store.read(sha)
    except FileNotFoundError:
        return None  # nothing to protect; the row keeps its address
    if not sealer.payload_needs_reseal(stored):
        return None
    plain = open_raw(stored, sealer, instance_id) if stored.startswith(SEALED_PAYLOAD) else stored
    return seal_raw(plain, sealer, instance_id)


def _apply(session: Session, store: MediaStore, changes: list[dict[str, Any]]) -> None:
    session.execute(insert(submission_reseals).values(id=1))
    session.execute(_SET, [{k: v for k, v in c.items() if k != "old"} for c in changes])
    session.execute(delete(submission_reseals))
    gone = [c["old"] for c in changes if c["old"] != c["raw_sha256"]]
    if gone:
        after_commit(session, lambda: _remove(store, gone))


def _remove(store: MediaStore, shas: list[str]) -> None:
    """Old raw files, once the rows point to their resealed copies (a leftover is still ciphertext)."""
    for sha in shas:
        store.path_for(sha).unlink(missing_ok=True)
