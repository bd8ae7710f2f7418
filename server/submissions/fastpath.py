"""Intake's SQL: the statements every submission runs, as SQLAlchemy Core on the session's connection.

Why it bypasses the ORM: intake is the service's hottest path (every phone,
every form, all day), and the ORM's unit of work (identity map, flush
ordering, attribute events) cost more CPU per submission than PostgreSQL spends
storing it. A new submission is written once and never changed in place, so
none of that bookkeeping buys anything here: the rows go in with plain
INSERTs, inside the request's own transaction (``session.connection()``), so
the one transaction boundary, the commit and the after-commit jobs are those of
the unit of work as before. Each statement is built once at import; SQLAlchemy
compiles it once per dialect and reuses it. Reading and reviewing submissions
stays on the ORM (queries.py, review.py).

This is the one place intake's SQL lives: the service calls these by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.submissions.models import Submission, SubmissionAttachment, SubmissionFlag

_SUBMISSIONS = cast(Table, Submission.__table__)
_ATTACHMENTS = cast(Table, SubmissionAttachment.__table__)
_FLAGS = cast(Table, SubmissionFlag.__table__)


def _insert_or_ignore(table: Table) -> dict[str, Insert]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, per dialect: the one insert-or-ignore of intake."""
    return {"postgresql": postgresql.insert(table).on_conflict_do_nothing().returning(table.c.id),
            "sqlite": sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id)}


_INSERT_SUBMISSION = _insert_or_ignore(_SUBMISSIONS)
_INSERT_ATTACHMENT = _ATTACHMENTS.insert().returning(_ATTACHMENTS.c.id, _ATTACHMENTS.c.name,
                                                     sort_by_parameter_order=True)
_INSERT_FLAG = _FLAGS.insert()
_ID_BY_INSTANCE = select(_SUBMISSIONS.c.id).where(_SUBMISSIONS.c.instance_id == bindparam("instance_id"))
_SUPERSEDE = (update(_SUBMISSIONS).where(_SUBMISSIONS.c.instance_id == bindparam("replaced"))
              .values(superseded=True))


def submission_id(session: Session, instance_id: str) -> int | None:
    """The id of the submission with this instance id, if one is stored."""
    return session.connection().execute(_ID_BY_INSTANCE, {"instance_id": instance_id}).scalar_one_or_none()


def insert_submission(session: Session, row: dict[str, Any]) -> int | None:
    """Insert a new submission row; its id, or None when a unique key (instance or replaced id) is taken."""
    connection = session.connection()
    statement = _INSERT_SUBMISSION[connection.dialect.name]
    new_id: int | None = connection.execute(statement, row).scalar_one_or_none()
    return new_id


def supersede(session: Session, replaced: str) -> None:
    """Mark the version an edit replaces as no longer the latest."""
    session.connection().execute(_SUPERSEDE, {"replaced": replaced})


def insert_attachments(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert the submission's attachment rows (received or still expected); their ids by name."""
    if not rows:
        return {}
    result = session.connection().execute(_INSERT_ATTACHMENT, list(rows))
    return {str(name): int(id_) for id_, name in result}


def insert_flags(session: Session, submission_id: int, review_state: str, flags: Sequence[str]) -> None:
    """Insert the rows the review queue's flag filter reads."""
    if flags:
        session.connection().execute(_INSERT_FLAG, [
            {"submission_id": submission_id, "flag": name, "review_state": review_state} for name in flags])
