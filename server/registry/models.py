"""Registry tables: datasets, entities, their append-only versions and events, duplicate candidates.

An entity row is the current state and carries the search columns (name keys,
blocking keys, keyed hashes, placement); every change also appends an
``EntityVersion`` and a ``RegistryEvent`` whose ``cursor`` orders the change
feed. Sensitive values (ID and phone numbers) live only sealed in ``sealed``.
A record placed by following another (a follow-up and its person) points at
it through ``followed_id``. ``AppliedSource`` is the merge result of each
submission and dataset; ``PlacementReview`` a move held for a supervisor.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, JsonType, UtcDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")
# Unit paths compare byte-wise on PostgreSQL ("C"), so one btree on (unit_path, id) serves both the
# scope's prefix LIKE and the snapshot's ORDER BY unit_path, id (SQLite compares bytes already).
PathType = String(512).with_variant(String(512, collation="C"), "postgresql")


class EntityStatus(StrEnum):
    """Where a registry record stands."""

    ACTIVE = "active"
    DEPARTED = "departed"
    MERGED = "merged"


class EventKind(StrEnum):
    """What happened to an entity (the change feed's vocabulary)."""

    CREATED = "created"
    UPDATED = "updated"
    MOVED = "moved"
    DEPARTED = "departed"
    RETURNED = "returned"
    MERGED = "merged"
    UNMERGED = "unmerged"


# Events that change where a person lives. The monthly report reads them by unit path and by person
# through partial indexes on exactly these kinds (a query's ``kind IN`` must name a subset of them).
RESIDENCE_KINDS = tuple(k.value for k in (EventKind.CREATED, EventKind.MOVED, EventKind.DEPARTED,
                                          EventKind.RETURNED, EventKind.MERGED, EventKind.UNMERGED))
RESIDENCE_ONLY = "kind IN (" + ", ".join(f"'{k}'" for k in RESIDENCE_KINDS) + ")"


class SourceType(StrEnum):
    """What caused a version."""

    SUBMISSION = "submission"
    IMPORT = "import"
    SUPERVISOR = "supervisor"
    CASE = "case"  # a case opened or worked by hand (server/cases/)


class ConflictKind(StrEnum):
    """An update made against an older version: disjoint properties (soft) or the same ones (hard)."""

    SOFT = "soft"
    HARD = "hard"


class ReviewStatus(StrEnum):
    """A placement review's state."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the record moved (or was decided) another way first


class CandidateStatus(StrEnum):
    """A duplicate candidate's state."""

    OPEN = "open"
    MERGED = "merged"
    DISTINCT = "distinct"
    UNMERGED = "unmerged"


class Dataset(Base):
    """A dataset declared in forms/datasets.yaml, as loaded into the database."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label_zh: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    label_property: Mapped[str] = mapped_column(String(64))
    properties: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    identity: Mapped[dict[str, Any]] = mapped_column(JsonType)
    placement: Mapped[dict[str, Any]] = mapped_column(JsonType)
    merge_requires_approval: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    # The declaration in force is ``versions[version]``; 0 until one is written.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # This dataset's block of forms/datasets.yaml as last applied: an unchanged file is a no-op.
    file_declaration: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class DatasetVersion(Base):
    """One version of a dataset's declaration; a submission merges under the one in force when received."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    declaration: Mapped[dict[str, Any]] = mapped_column(JsonType)
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # file, api or form (a form's publish declared it)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Entity(Base):
    """The current state of one registry record (a person, a household)."""

    __tablename__ = "entities"
    __table_args__ = (
        Index("ix_entities_unit_path", "unit_path", "id"),
        Index(
            "ix_entities_name_pinyin",
            "dataset_id",
            "name_pinyin",
            postgresql_ops={"name_pinyin": "varchar_pattern_ops"},
        ),
        Index(
            "ix_entities_name_initials",
            "dataset_id",
            "name_initials",
            postgresql_ops={"name_initials": "varchar_pattern_ops"},
        ),
        Index("ix_entities_name_key", "dataset_id", "name_key"),
        Index("ix_entities_block_key", "dataset_id", "block_key"),
        Index("ix_entities_id_hash", "dataset_id", "id_hash"),
        Index("ix_entities_phone_hash", "dataset_id", "phone_hash"),
        Index("ix_entities_birth_origin", "dataset_id", "birth_date", "origin_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    label: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    sealed: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=EntityStatus.ACTIVE.value)
    unit_path: Mapped[str] = mapped_column(PathType)
    grid_code: Mapped[str | None] = mapped_column(String(32))
    geometry: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    followed_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"), index=True)
    conflict: Mapped[str | None] = mapped_column(String(8))
    name_key: Mapped[str | None] = mapped_column(String(100))
    name_pinyin: Mapped[str | None] = mapped_column(String(200))
    name_initials: Mapped[str | None] = mapped_column(String(50))
    block_key: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    origin_code: Mapped[str | None] = mapped_column(String(12))
    ethnicity: Mapped[str | None] = mapped_column(String(4), index=True)
    arrival_date: Mapped[str | None] = mapped_column(String(10), index=True)
    id_hash: Mapped[str | None] = mapped_column(String(64))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class EntityVersion(Base):
    """One immutable version of an entity: its full properties and where the change came from."""

    __tablename__ = "entity_versions"
    # created_at: the monthly report reads only the versions written since a period began.
    # (entity_id, created_at): one person's recent visits; (unit_path, created_at): one unit's.
    __table_args__ = (
        UniqueConstraint("entity_id", "version"),
        Index("ix_entity_versions_created_at", "created_at"),
        Index("ix_entity_versions_entity_id", "entity_id", "created_at"),
        Index("ix_entity_versions_unit_path", "unit_path", "created_at",
              postgresql_ops={"unit_path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    version: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    sealed: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    changed: Mapped[list[str]] = mapped_column(JsonType, default=list)
    unit_path: Mapped[str] = mapped_column(String(512))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    conflict: Mapped[str | None] = mapped_column(String(8), index=True)
    conflict_detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class RegistryEvent(Base):
    """One registry event; ``cursor`` is the monotonic position in the change feed."""

    __tablename__ = "registry_events"
    __table_args__ = (
        Index("ix_registry_events_dataset_id", "dataset_id", "cursor"),
        # The monthly report: a period's dated events, and the records ever in one unit.
        Index("ix_registry_events_event_date", "dataset_id", "event_date"),
        Index("ix_registry_events_unit_path", "unit_path", "dataset_id",
              postgresql_ops={"unit_path": "varchar_pattern_ops"}),
        # A unit's residence events, each person's residence history and the moves out of a unit, read
        # from the index alone on PostgreSQL (residence events are a small share of all events).
        Index("ix_registry_events_residence_path", "unit_path", "dataset_id",
              postgresql_ops={"unit_path": "varchar_pattern_ops"},
              postgresql_include=["entity_id", "cursor", "kind", "event_date", "at", "previous_unit_path"],
              postgresql_where=text(RESIDENCE_ONLY), sqlite_where=text(RESIDENCE_ONLY)),
        Index("ix_registry_events_residence_entity", "entity_id", "cursor",
              postgresql_include=["dataset_id", "kind", "event_date", "at"],
              postgresql_where=text(RESIDENCE_ONLY), sqlite_where=text(RESIDENCE_ONLY)),
        Index("ix_registry_events_previous_unit_path", "previous_unit_path", "dataset_id",
              postgresql_ops={"previous_unit_path": "varchar_pattern_ops"},
              postgresql_include=["unit_path", "kind", "event_date", "at"],
              postgresql_where=text("previous_unit_path IS NOT NULL"),
              sqlite_where=text("previous_unit_path IS NOT NULL")),
    )

    cursor: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    unit_path: Mapped[str] = mapped_column(String(512))
    previous_unit_path: Mapped[str | None] = mapped_column(String(512))
    event_date: Mapped[str | None] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class DuplicateCandidate(Base):
    """Two entities that may be one person, scored with reasons, waiting for a supervisor."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("entity_a_id", "entity_b_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    entity_a_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    entity_b_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(16), default=CandidateStatus.OPEN.value, index=True)
    path_a: Mapped[str] = mapped_column(String(512))
    path_b: Mapped[str] = mapped_column(String(512))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    survivor_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    entity_a: Mapped[Entity] = relationship(foreign_keys=[entity_a_id], lazy="joined")
    entity_b: Mapped[Entity] = relationship(foreign_keys=[entity_b_id], lazy="joined")


class AppliedSource(Base):
    """A submission (or import row) already folded into the registry: merging it again is a no-op.

    It is also the merge result: what the block did (``outcome``: created,
    updated, deduplicated, skipped) and why (``detail``: e.g. the create_if
    that was false), readable by the submission's instance id within scope.
    """

    __tablename__ = "registry_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    dataset: Mapped[str | None] = mapped_column(String(64))
    unit_path: Mapped[str | None] = mapped_column(String(512))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class PlacementReview(Base):
    """A move a located submission proposed but may not make alone (placement on_outside: review).

    The submission's other changes were applied; the record stays at
    ``path_from`` until a supervisor accepts (it moves to ``path_to``, dated
    by the submission) or rejects. Visible to reviewers whose scope holds
    either path.
    """

    __tablename__ = "placement_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.OPEN.value, index=True)
    path_from: Mapped[str] = mapped_column(String(512))
    path_to: Mapped[str] = mapped_column(String(512))
    grid_from: Mapped[str | None] = mapped_column(String(32))
    grid_to: Mapped[str | None] = mapped_column(String(32))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(32))
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(100))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_date: Mapped[str | None] = mapped_column(String(10))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    entity: Mapped[Entity] = relationship(foreign_keys=[entity_id], lazy="joined")
