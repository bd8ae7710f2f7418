"""The dataset declarations in force: one loader, one cache.

Declarations live in the database (``dataset_versions``, one row per version
of a dataset's block of datasets.yaml; ``datasets.version`` and ``digest``
name the one in force). Checking a block into a typed ``DatasetSpec`` costs
more than reading it, and every merge, upload and entity list needs one, so
parsed specs are kept per process keyed by the block's digest. A changed
declaration has a new digest and so is a new key: readers first ask the
database which digest is in force (one small query, remembered in
``session.info`` for the rest of the session, which is one request or one
job), so a change committed by any process is seen by the next request or
job everywhere, and a change rolled back is never seen at all. Nothing needs to be told to forget; old entries age out.

``spec`` with ``at`` gives the declaration in force at that moment (a
submission merges under the one in force when it was received).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.domain.datasets import DatasetSpec, parse_dataset
from server.domain.declaration_rules import from_stored
from server.errors import NotFoundError
from server.lru import Lru
from server.registry.models import Dataset, DatasetVersion

DEFAULT_MAX_ENTRIES = 64
_SESSION_KEY = "registry_declarations"


class DeclarationCache:
    """Parsed declarations by (dataset name, block digest), least recently used dropped first."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: Lru[tuple[str, str], DatasetSpec] = Lru(max_entries)

    def get(self, name: str, digest: str, load: Callable[[], Mapping[str, object]]) -> DatasetSpec:
        """The spec for this digest, parsing the block ``load`` returns on a miss."""
        hit = self._entries.get((name, digest))
        if hit is not None:
            return hit
        spec = parse_dataset(name, load())
        self._entries.put((name, digest), spec)
        return spec

    def clear(self) -> None:
        """Drop everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_cache = DeclarationCache()


def declaration_cache() -> DeclarationCache:
    """The process's cache."""
    return _cache


@dataclass(frozen=True, slots=True)
class InForce:
    """Which version of a dataset's declaration is in force, and since when."""

    dataset_id: int
    version: int
    digest: str
    since: datetime


_IN_FORCE = select(Dataset.name, Dataset.id, Dataset.version, Dataset.digest, Dataset.updated_at).where(
    Dataset.version > 0)
_BLOCK = select(DatasetVersion.declaration).where(
    DatasetVersion.dataset_id == bindparam("dataset_id"), DatasetVersion.digest == bindparam("digest"))
_AT = (
    select(DatasetVersion.version, DatasetVersion.digest)
    .where(DatasetVersion.dataset_id == bindparam("dataset_id"), DatasetVersion.created_at <= bindparam("at"))
    .order_by(DatasetVersion.version.desc()).limit(1))
_FIRST = (select(DatasetVersion.version, DatasetVersion.digest)
          .where(DatasetVersion.dataset_id == bindparam("dataset_id")).order_by(DatasetVersion.version).limit(1))


def in_force(session: Session) -> dict[str, InForce]:
    """Every declared dataset's version in force (read once per session: a request or a job)."""
    cached: dict[str, InForce] | None = session.info.get(_SESSION_KEY)
    if cached is None:
        cached = {name: InForce(ds_id, version, digest, since)
                  for name, ds_id, version, digest, since in session.execute(_IN_FORCE)}
        session.info[_SESSION_KEY] = cached
    return cached


def changed(session: Session) -> None:
    """This transaction changed a declaration: read which are in force again."""
    session.info.pop(_SESSION_KEY, None)


def _spec(session: Session, name: str, dataset_id: int, digest: str) -> DatasetSpec:
    return _cache.get(name, digest, lambda: from_stored(session.execute(
        _BLOCK, {"dataset_id": dataset_id, "digest": digest}).scalars().first()))


def catalog(session: Session) -> dict[str, DatasetSpec]:
    """Every dataset's declaration in force, by name."""
    return {name: _spec(session, name, row.dataset_id, row.digest) for name, row in in_force(session).items()}


def spec(session: Session, name: str, at: datetime | None = None) -> DatasetSpec:
    """One dataset's declaration in force now, or at ``at``; 404 for an undeclared dataset."""
    row = in_force(session).get(name)
    if row is None:
        raise NotFoundError(f"no dataset {name}", code="registry.dataset_not_found", message_zh="数据集不存在")
    if at is None or at >= row.since:
        return _spec(session, name, row.dataset_id, row.digest)
    found = (session.execute(_AT, {"dataset_id": row.dataset_id, "at": at}).first()
             or session.execute(_FIRST, {"dataset_id": row.dataset_id}).first())
    assert found is not None  # a dataset in force has at least one version
    return _spec(session, name, row.dataset_id, found.digest)
