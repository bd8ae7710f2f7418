"""Submissions and their attachments.

A submission row is written once at intake and never changed in place: only
``status`` (with ``errors``/``validated_at`` set by the validation job),
``flags`` (with their names in ``submission_flags``) and the supervisor's review (``review_state``, ``review_version``)
change later; the review's comments are rows of their own. An edit is a new row whose ``deprecated_id`` names the
version it replaces; all versions share ``root_id``, the first instance id.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.accounts.models import User
from server.db import Base, JsonType, UtcDateTime
from server.forms.models import FormVersion
from server.geo.models import SRID, AdminUnit


class SubmissionStatus(StrEnum):
    """received → validated | invalid; the registry later moves validated ones to merged | rejected."""

    RECEIVED = "received"
    VALIDATED = "validated"
    INVALID = "invalid"
    MERGED = "merged"
    REJECTED = "rejected"


class ReviewState(StrEnum):
    """A supervisor's verdict (ODK Central's review states, plus returned: sent back to the worker)."""

    RECEIVED = "received"
    HAS_ISSUES = "has_issues"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"


class Flag(StrEnum):
    """Things a supervisor should look at; a flag never refuses a submission."""

    OUTSIDE_SCOPE = "outside_scope"
    LOW_ACCURACY = "low_accuracy"
    NO_LOCATION = "no_location"


# Statuses a job still has to move on: what the job processes claim from (received, validated).
PENDING = "status IN ('received', 'validated')"


class Submission(Base):
    """One version of one filled form, as received."""

    __tablename__ = "submissions"
    __allow_unmapped__ = True
    # The review queue shows latest versions: it pages them newest first by (received_at, id), overall
    # and per review state, and counts them per review state from one narrow index (index-only on
    # PostgreSQL, with every column the queue filters and scopes on; a validation status filter narrows
    # its range), or under a date filter from the per-state index, which carries the scope's columns;
    # under a flag filter, the flag's rows are checked against the latest versions' scope by id.
    # A flag filter reads submission_flags, by flag and review state.
    __table_args__ = (
        Index("ix_submissions_latest_received_at", "received_at", "id",
              postgresql_where=text("superseded = false"), sqlite_where=text("superseded = 0")),
        Index("ix_submissions_latest_review_state", "review_state", "received_at", "id",
              postgresql_include=["unit_path", "located_path", "submitter_id"],
              postgresql_where=text("superseded = false"), sqlite_where=text("superseded = 0")),
        Index("ix_submissions_latest_counts", "review_state", "status", "unit_path",
              postgresql_include=["form_pk", "submitter_id", "received_at", "located_path"],
              postgresql_where=text("superseded = false"), sqlite_where=text("superseded = 0")),
        Index("ix_submissions_latest_scope", "id", "review_state", "unit_path", "located_path", "submitter_id",
              postgresql_where=text("superseded = false"), sqlite_where=text("superseded = 0")),
        # The job processes' queue: only the submissions still on their way (server/batch_worker.py).
        Index("ix_submissions_pending", "status", "id", postgresql_where=text(PENDING), sqlite_where=text(PENDING)),
    )

    # Not stored: the data as one caller may see it (set when a detail is read; see privacy.py).
    shown_data: dict[str, Any] | None = None
    # Not stored: the review's latest comment and, for an edit, the answers it changed (review.py).
    review_comment: str | None = None
    changes: list[dict[str, Any]] | None = None

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    root_id: Mapped[str] = mapped_column(String(64), index=True)
    deprecated_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    form_pk: Mapped[int] = mapped_column(ForeignKey("forms.id"), index=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    raw_format: Mapped[str] = mapped_column(String(8))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(Integer)
    # sha256 of the raw XML, or of canonical JSON of form_version + data: what "identical" means.
    content_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    meta: Mapped[dict[str, Any]] = mapped_column(JsonType)
    device_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    location: Mapped[Any] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=True), nullable=True)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(String(512), index=True)
    # The grid the point lies in, when that is not where the submission is filed (made outside the
    # submitter's scope): that area sees it too, as it holds the registry records it touched.
    located_path: Mapped[str | None] = mapped_column(String(512), index=True)
    # Each flag's details (what the submission page explains); the names are rows of submission_flags too.
    flags: Mapped[dict[str, Any]] = mapped_column(JsonType)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    validated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_state: Mapped[str] = mapped_column(String(16), default=ReviewState.RECEIVED.value,
                                              server_default=ReviewState.RECEIVED.value)
    # Counts review changes: the ETag a decision's If-Match must name.
    review_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # True once an edit names this version in its deprecated_id: lists show latest versions only.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Unexpected failures of its jobs so far, and when the next try may claim it (server/batch_worker.py).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attachments: Mapped[list[SubmissionAttachment]] = relationship(
        back_populates="submission", order_by="SubmissionAttachment.id", lazy="selectin")
    # Loaded on access, not joined: the jobs lock the row with SELECT ... FOR UPDATE.
    form_version: Mapped[FormVersion] = relationship()
    submitter: Mapped[User] = relationship()
    unit: Mapped[AdminUnit | None] = relationship()
    flag_rows: Mapped[list[SubmissionFlag]] = relationship(cascade="all, delete-orphan")

    def set_review_state(self, state: str) -> None:
        """A reviewer's verdict: a new ETag, and the state copied to the flag rows the flag filter counts by."""
        self.review_state = state
        self.review_version += 1
        for row in self.flag_rows:
            row.review_state = state

    def set_flag(self, name: str, detail: dict[str, Any] | None = None) -> None:
        """Raise a flag (flags and status are the only things that change on a submission)."""
        if name not in (self.flags or {}):
            self.flag_rows.append(SubmissionFlag(flag=name, review_state=self.review_state))
        self.flags = {**(self.flags or {}), name: detail or {}}

    def clear_flag(self, name: str) -> None:
        """Lower a flag."""
        self.flags = {k: v for k, v in (self.flags or {}).items() if k != name}
        self.flag_rows = [row for row in self.flag_rows if row.flag != name]


class SubmissionFlag(Base):
    """One flag a submission carries, by name: what the review queue's flag filter reads through an index.

    Written with the flags themselves (intake, ``set_flag``/``clear_flag``); ``Submission.flags`` keeps
    each flag's details. It carries the submission's review state (``set_review_state`` keeps it), so
    the queue's counts per review state under a flag read one index range each: a state few flagged
    submissions are in costs nothing, instead of a probe for every flagged submission.
    """

    __tablename__ = "submission_flags"
    __table_args__ = (Index("ix_submission_flags_flag", "flag", "review_state", "submission_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    flag: Mapped[str] = mapped_column(String(64), primary_key=True)
    review_state: Mapped[str] = mapped_column(String(16))


# A row exists only inside a key-rotation transaction: while it does, the immutability trigger lets the
# sealed columns (data, raw_sha256, raw_size) take new ciphertext (migration 0006, submissions/rekey.py).
submission_reseals = Table("submission_reseals", Base.metadata, Column("id", Integer, primary_key=True))


class SubmissionAttachment(Base):
    """A file the submission's data refers to; ``sha256`` is None until it has been received."""

    __tablename__ = "submission_attachments"
    __table_args__ = (UniqueConstraint("submission_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # image | file | audio | video
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # EXIF facts kept as metadata (the derivatives are stripped of EXIF).
    taken_at: Mapped[str | None] = mapped_column(String(32))
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    exif: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    derivatives: Mapped[str] = mapped_column(String(16))  # none | pending | ready | failed
    display_sha256: Mapped[str | None] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64))

    submission: Mapped[Submission] = relationship(back_populates="attachments")

    @property
    def received(self) -> bool:
        """True once the file's bytes are stored."""
        return self.sha256 is not None


class SubmissionComment(Base):
    """One comment of a submission's review thread; ``review_state`` is the state set with it, if any."""

    __tablename__ = "submission_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    review_state: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    author: Mapped[User] = relationship(lazy="joined")
