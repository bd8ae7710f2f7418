"""Reading submissions: the scoped list with keyset pagination, details, versions and attachments.

Everything goes through ``scope_clause``: a user sees submissions filed in their
scope or made in it (``located_path``: made outside the submitter's scope),
plus their own wherever they were made; anything else answers 404 exactly like
a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Integer, and_, false, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, object_session, selectinload

from server.accounts.models import Role, User
from server.audit.service import record
from server.db import UtcDateTime
from server.errors import AppError, NotFoundError, PermissionDeniedError
from server.forms.models import Form, FormVersion
from server.geo.models import AdminUnit
from server.geo.points import lon_lat_of
from server.paging import bad_cursor, decode_token, encode_token
from server.scope import deny, purpose_of, scope_clause
from server.sealing.crypto import Sealer
from server.submissions import rules
from server.submissions.models import ReviewState, Submission, SubmissionAttachment, SubmissionFlag
from server.submissions.privacy import shown_data
from server.submissions.sealing import open_answers

READER_ROLES = frozenset({Role.GRID_WORKER.value, Role.SUPERVISOR.value, Role.ADMIN.value})


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paginated list."""

    items: list[Submission]
    next_cursor: str | None
    counts: dict[str, int] | None = None


# What a list item shows besides its own columns, loaded for the whole page at once.
LIST_LOADS = (selectinload(Submission.form_version).selectinload(FormVersion.form),
              selectinload(Submission.submitter), selectinload(Submission.unit))


# Null unless made outside the submitter's scope; a null path matches no scope.
_LOCATED_PATH = cast("ColumnElement[str]", Submission.located_path)


def visible(user: User) -> ColumnElement[bool]:
    """Rows filed or made in the user's scope, plus the user's own submissions wherever they were made."""
    return or_(scope_clause(user, Submission.unit_path), scope_clause(user, _LOCATED_PATH),
               Submission.submitter_id == user.id)


def _check_reader(session: Session, user: User) -> None:
    if purpose_of(user) is not None:  # raw submissions lie outside every department's purpose
        deny(session, user, "submission", None, "submissions are outside the purpose", code="submission.not_found")
    if user.role not in READER_ROLES:
        raise PermissionDeniedError("your role does not read submissions", code="submission.forbidden",
                                    message_zh="您的角色不能查看提交")


def check_reader(session: Session, user: User) -> None:
    """Submissions are read by registry staff; departments answer 404 (audited), other roles 403."""
    _check_reader(session, user)


def get_submission(session: Session, user: User, instance_id: str) -> Submission:
    """One submission in the user's scope; 404 alike for missing and out of scope."""
    _check_reader(session, user)
    try:
        key = rules.normalize_instance_id(instance_id)
    except AppError:
        key = None
    row = None if key is None else session.scalar(
        select(Submission).where(Submission.instance_id == key, visible(user)))
    if row is None:
        raise NotFoundError(f"no submission {instance_id}", code="submission.not_found", message_zh="提交不存在")
    return row


def read_submission(session: Session, sealer: Sealer, user: User, instance_id: str) -> Submission:
    """``get_submission`` for showing its data: the read is audited (the data holds personal information)."""
    submission = get_submission(session, user, instance_id)
    # What the response shows: sensitive answers masked unless the caller's duty needs them.
    definition = submission.form_version.definition
    opened = open_answers(submission.data, definition, sealer, submission.instance_id)
    submission.shown_data, revealed = shown_data(opened, definition, user)
    record(session, user.id, "submission.read", target_type="submission", target_id=submission.instance_id,
           detail={"unmasked": sorted(set(revealed))} if revealed else None)
    return submission


class VersionRow(Protocol):
    """What the edit chain shows of each version."""

    instance_id: str
    deprecated_id: str | None
    status: str
    review_state: str
    received_at: datetime


def versions_of(submission: Submission) -> list[VersionRow]:
    """Every version of the submission's logical submission, oldest first (only the columns shown)."""
    session = object_session(submission)
    if session is None:
        return [submission]
    # A few columns, not whole rows: a version's data tree is large and the chain only lists versions.
    rows = session.execute(
        select(Submission.instance_id, Submission.deprecated_id, Submission.status, Submission.review_state,
               Submission.received_at)
        .where(Submission.root_id == submission.root_id).order_by(Submission.id))
    return list(rows)


def point_of(submission: Submission) -> tuple[float, float] | None:
    """The stored point as (lon, lat)."""
    return lon_lat_of(submission.location)


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    micros, _, last_id = decode_token(cursor).partition(".")
    try:
        return datetime.fromtimestamp(0, UTC) + timedelta(microseconds=int(micros)), int(last_id)
    except (ValueError, OverflowError):
        raise bad_cursor() from None


def _encode_cursor(last: Submission) -> str:
    """The position after ``last`` in (received_at, id) order: microseconds since the epoch and the id."""
    micros = (last.received_at - datetime.fromtimestamp(0, UTC)) // timedelta(microseconds=1)
    return encode_token(f"{micros}.{last.id}")


def _in_state(args: Mapping[str, Any], state: str | None) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a review state (None: any) and the flag filter, which reads the flag rows by both.

    The flag rows carry the review state, so a flag and a state are one index range of submission_flags.
    """
    clauses: list[ColumnElement[bool]] = []
    if state:
        clauses.append(Submission.review_state == state)
    if args.get("flag"):
        flagged = select(SubmissionFlag.submission_id).where(SubmissionFlag.flag == args["flag"])
        if state:
            flagged = flagged.where(SubmissionFlag.review_state == state)
        clauses.append(Submission.id.in_(flagged))
    return clauses


def _filters(session: Session, user: User, args: Mapping[str, Any]) -> list[ColumnElement[bool]] | None:
    """The WHERE clauses of a list's filters (all but review state, flag and cursor); None when nothing can match."""
    conditions: list[ColumnElement[bool]] = [visible(user)]
    if args.get("form_pk") is not None:
        conditions.append(Submission.form_pk == args["form_pk"])
    if args.get("form"):
        form_pk = session.scalar(select(Form.id).where(Form.form_id == args["form"]))
        if form_pk is None:
            return None
        conditions.append(Submission.form_pk == form_pk)
    if args.get("instance_id"):
        try:
            conditions.append(Submission.instance_id == rules.normalize_instance_id(args["instance_id"]))
        except AppError:
            return None
    if args.get("status"):
        conditions.append(Submission.status == args["status"])
    if args.get("grid"):
        unit = session.scalar(select(AdminUnit).where(AdminUnit.code == args["grid"]))
        if unit is None:
            return None
        conditions.append(Submission.unit_path.startswith(unit.path, autoescape=True))
    if args.get("submitter"):
        conditions.append(Submission.submitter_id.in_(select(User.id).where(User.username == args["submitter"])))
    since = args.get("received_from") or args.get("since")
    if since is not None:
        conditions.append(Submission.received_at >= since)
    until = args.get("received_to") or args.get("until")
    if until is not None:
        conditions.append(Submission.received_at < until)
    if not args.get("all_versions"):
        conditions.append(Submission.superseded == false())
    return conditions


def _page(session: Session, conditions: list[ColumnElement[bool]], args: Mapping[str, Any]) -> Page:
    """One page, newest first by keyset on (received_at, id)."""
    limit = int(args.get("limit") or 50)
    conditions = [*conditions, *_in_state(args, args.get("review_state"))]
    if args.get("cursor"):
        when, last_id = _decode_cursor(args["cursor"])
        conditions = [*conditions, tuple_(Submission.received_at, Submission.id)
                      < tuple_(literal(when, UtcDateTime()), literal(last_id, Integer()))]
    rows = list(session.scalars(select(Submission).where(and_(*conditions)).options(*LIST_LOADS)
                                .order_by(Submission.received_at.desc(), Submission.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode_cursor(rows[-1]) if more and rows else None)


def list_submissions(session: Session, user: User, form_id: str, args: Mapping[str, Any]) -> Page:
    """A page of the form's submissions in the user's scope, newest first."""
    _check_reader(session, user)
    form = session.scalar(select(Form).where(Form.form_id == form_id))
    if form is None:
        raise NotFoundError(f"no form {form_id}", code="form.not_found", message_zh="表单不存在")
    conditions = _filters(session, user, {**args, "form_pk": form.id, "form": None})
    return _page(session, conditions, args) if conditions is not None else Page([], None)


# Counts per review state stop here: the queue answers at once at any size, and a count equal to the
# limit reads "at least" (the console shows 1000+).
COUNT_LIMIT = 1_000


def _capped_count(conditions: list[ColumnElement[bool]], args: Mapping[str, Any], state: str) -> Any:
    """How many rows match in one review state, counted up to COUNT_LIMIT."""
    matching = (select(literal(1).label("one")).select_from(Submission)
                .where(*conditions, *_in_state(args, state)).limit(COUNT_LIMIT).subquery())
    return select(func.count()).select_from(matching).scalar_subquery()


def review_queue(session: Session, user: User, args: Mapping[str, Any]) -> Page:
    """A page of the submissions in the user's scope across forms, newest first, with counts per review state.

    The counts obey the same filters except the review state, so they label the queue's state tabs;
    each stops at COUNT_LIMIT.
    """
    _check_reader(session, user)
    states = [state.value for state in ReviewState]
    conditions = _filters(session, user, args)
    if conditions is None:
        return Page([], None, dict.fromkeys(states, 0))
    page = _page(session, conditions, args)
    counts = session.execute(select(*(_capped_count(conditions, args, s).label(s) for s in states))).one()
    return Page(page.items, page.next_cursor, dict(zip(states, counts, strict=True)))


def get_attachment(session: Session, user: User, instance_id: str, name: str) -> SubmissionAttachment:
    """A received attachment of a submission in the user's scope, or 404."""
    submission = get_submission(session, user, instance_id)
    found = next((a for a in submission.attachments if a.name == name and a.received), None)
    if found is None:
        raise NotFoundError(f"no attachment {name}", code="attachment.not_found", message_zh="附件不存在")
    record(session, user.id, "attachment.read", target_type="submission", target_id=submission.instance_id,
           detail={"name": name})
    return found
