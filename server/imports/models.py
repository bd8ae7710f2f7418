"""An import of one file into one dataset, and the report of each of its rows.

The ``imports`` row is the job's truth: its status, how far it got
(``next_row``, the first data row not yet committed) and the counts. Each data
row the job handled has one ``import_rows`` row (outcome, reason, record), so
the report survives a crash and a resumed job continues after the last
committed batch.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, JsonType, UtcDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


class ImportStatus(StrEnum):
    """Where an import stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RowOutcome(StrEnum):
    """What the import did with one data row."""

    CREATED = "created"
    UPDATED = "updated"  # the strong key named an existing record (a re-export with a field changed)
    CANDIDATE = "duplicate_candidate"  # created, and near matches wait for a supervisor
    UNCHANGED = "unchanged"  # this source imported the same row before
    DUPLICATE_IN_FILE = "duplicate_in_file"
    REFUSED = "refused"


class ImportJob(Base):
    """One uploaded file being imported into a dataset."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigId)
    encoding: Mapped[str | None] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED.value, index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    next_row: Mapped[int] = mapped_column(Integer, default=0)  # index of the first data row not yet committed
    counts: Mapped[dict[str, int]] = mapped_column(JsonType, default=dict)
    error: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportRow(Base):
    """The report line of one data row: its number in the file, what happened and why."""

    __tablename__ = "import_rows"
    __table_args__ = (UniqueConstraint("import_id", "row_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(24))
    entity_uuid: Mapped[str | None] = mapped_column(String(36))
    code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
