"""A supervisor's review of submissions: review states, the comment thread, returns to the worker.

The states follow ODK Central (received, has_issues, approved, rejected) plus
``returned``: sent back to the grid worker with a comment, to be corrected and
resubmitted as an edit (``deprecated_id``). The corrected edit arrives as a new
version in state ``received``; the returned version stays ``returned``, and it
leaves the worker's list of returns once an edit of it exists.

Every state change is guarded by If-Match (the submission's ETag counts its
review changes), audited, and, for an approved submission of a dataset
declared ``merge_after_review``, rings the merge that validation left waiting.
A decision on a submission outside the caller's scope answers 404 like a
missing one; only supervisors and admins review (others get 403).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.audit.service import record
from server.errors import PermissionDeniedError, RuleViolation, check_if_match
from server.sealing.crypto import Sealer
from server.settings import Settings
from server.submissions import jobs
from server.submissions.models import ReviewState, Submission, SubmissionComment, SubmissionStatus
from server.submissions.privacy import shown_data
from server.submissions.queries import get_submission, read_submission
from server.submissions.sealing import open_answers

REVIEWER_ROLES = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})
MAX_COMMENT_CHARS = 2000
# What a reviewer may set; ``received`` is only ever the state a version arrives in.
SETTABLE = frozenset({ReviewState.HAS_ISSUES, ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.RETURNED})
NEEDS_COMMENT = frozenset({ReviewState.REJECTED, ReviewState.RETURNED})


def etag(submission: Submission) -> str:
    """The submission's ETag: it changes with every review change."""
    return f'"{submission.instance_id}.{submission.review_version}"'


def require_reviewer(user: User) -> None:
    """Only supervisors and admins review submissions."""
    if user.role not in REVIEWER_ROLES:
        raise PermissionDeniedError("only supervisors and admins review submissions", code="review.forbidden",
                                    message_zh="只有督导员和管理员可以审核提交")


# --------------------------------------------------------------------------- pure rules


def clean_comment(body: str | None) -> str | None:
    """A comment as stored (trimmed; None when empty), or 422 when longer than the limit."""
    text = (body or "").strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise RuleViolation(f"a comment has at most {MAX_COMMENT_CHARS} characters", code="review.comment_too_long",
                            message_zh=f"意见不能超过 {MAX_COMMENT_CHARS} 个字符",
                            errors={"comment": [f"longer than {MAX_COMMENT_CHARS} characters"]})
    return text or None


def check_decision(status: str, target: str, comment: str | None, *, superseded: bool = False) -> None:
    """422 with a stable code for a state change that makes no sense."""
    if superseded:
        raise RuleViolation("an edit has replaced this version: review the latest one", code="review.superseded",
                            message_zh="该提交已有修改后的新版本，请审核最新版本")
    if target not in SETTABLE:
        raise RuleViolation(f"a reviewer cannot set {target}", code="review.bad_state",
                            message_zh="不能设置为该审核状态", errors={"review_state": [target]})
    if target == ReviewState.APPROVED and status == SubmissionStatus.RECEIVED:
        raise RuleViolation("validation of this submission has not finished", code="review.not_validated",
                            message_zh="该提交尚未完成校验，不能通过审核", errors={"review_state": [target]})
    if target in NEEDS_COMMENT and not comment:
        raise RuleViolation("rejecting or returning a submission needs a comment", code="review.comment_required",
                            message_zh="退回或不通过时必须填写意见", errors={"comment": ["required"]})


def answer_changes(before: Mapping[str, Any], after: Mapping[str, Any], root: str, *,
                   shown_before: Mapping[str, Any] | None = None,
                   shown_after: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The answers that differ between two data trees: [{path, before, after}], paths as validation gives them.

    Differences are found on the full values; the values reported come from the shown (masked) trees
    when given, so a changed ID number shows as changed even when both masks look alike.
    """
    meta = f"/{root}/meta/"  # instanceID and deprecatedID differ in every edit: not answers

    def leaves(tree: Mapping[str, Any]) -> dict[str, Any]:
        return {path: value for path, value in _leaves(_body(tree, root), "/" + root) if not path.startswith(meta)}

    old, new = leaves(before), leaves(after)
    old_shown = leaves(shown_before) if shown_before is not None else old
    new_shown = leaves(shown_after) if shown_after is not None else new
    changed = [path for path in {**old, **new} if old.get(path) != new.get(path)]
    return [{"path": path, "before": old_shown.get(path), "after": new_shown.get(path)} for path in changed]


def _body(data: Mapping[str, Any], root: str) -> Any:
    return data[root] if set(data) == {root} and isinstance(data[root], Mapping) else data


def _leaves(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, f"{path}/{key}")
    elif isinstance(node, list) and all(isinstance(item, Mapping) for item in node):
        for i, item in enumerate(node, 1):  # repeat instances, numbered as the validator numbers them
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, node


# --------------------------------------------------------------------------- reads


def latest_comment(session: Session, submission_id: int) -> str | None:
    """The body of the newest comment of a submission's thread."""
    return session.scalar(select(SubmissionComment.body).where(SubmissionComment.submission_id == submission_id)
                          .order_by(SubmissionComment.id.desc()).limit(1))


def read_reviewed(session: Session, sealer: Sealer, user: User, instance_id: str) -> Submission:
    """A submission's detail (audited, masked) with its latest comment and, for an edit, what it changed."""
    submission = read_submission(session, sealer, user, instance_id)
    submission.review_comment = latest_comment(session, submission.id)
    submission.changes = None
    if submission.deprecated_id is not None:
        replaced = session.scalar(select(Submission).where(Submission.instance_id == submission.deprecated_id))
        if replaced is not None:
            before, shown_before, revealed = _opened(replaced, user, sealer)
            after, shown_after, _ = _opened(submission, user, sealer)
            root = str(submission.form_version.definition.get("root") or "data")
            submission.changes = answer_changes(before, after, root, shown_before=shown_before,
                                                shown_after=shown_after)
            if revealed:
                record(session, user.id, "submission.read", target_type="submission",
                       target_id=replaced.instance_id, detail={"unmasked": sorted(set(revealed))})
    return submission


def _opened(
    submission: Submission, user: User, sealer: Sealer
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The full data tree, the tree as ``user`` may see it, and the sensitive paths shown in full."""
    definition = submission.form_version.definition
    opened = open_answers(submission.data, definition, sealer, submission.instance_id)
    shown, revealed = shown_data(opened, definition, user)
    return dict(opened), shown, revealed


def list_comments(session: Session, user: User, instance_id: str) -> list[SubmissionComment]:
    """The thread of a submission the user may see, oldest first."""
    submission = get_submission(session, user, instance_id)
    return list(session.scalars(select(SubmissionComment).where(SubmissionComment.submission_id == submission.id)
                                .order_by(SubmissionComment.id)))


def list_returned(session: Session, sealer: Sealer, user: User) -> list[Submission]:
    """The user's own returned submissions that no corrected edit has replaced yet, newest first."""
    rows = list(session.scalars(
        select(Submission).where(Submission.submitter_id == user.id,
                                 Submission.review_state == ReviewState.RETURNED.value,
                                 Submission.superseded == false())
        .order_by(Submission.received_at.desc(), Submission.id.desc())))
    for row in rows:
        _, row.shown_data, revealed = _opened(row, user, sealer)
        row.review_comment = latest_comment(session, row.id)
        record(session, user.id, "submission.read", target_type="submission", target_id=row.instance_id,
               detail={"unmasked": sorted(set(revealed))} if revealed else None)
    return rows


# --------------------------------------------------------------------------- writes


def _locked(session: Session, user: User, instance_id: str) -> Submission:
    found = get_submission(session, user, instance_id)
    locked = session.scalar(select(Submission).where(Submission.id == found.id).with_for_update(of=Submission)
                            .execution_options(populate_existing=True))
    assert locked is not None
    return locked


def _comment(session: Session, submission: Submission, user: User, body: str, state: str | None) -> SubmissionComment:
    row = SubmissionComment(submission_id=submission.id, author_id=user.id, body=body, review_state=state,
                            created_at=datetime.now(UTC))
    session.add(row)
    return row


def review_submission(session: Session, settings: Settings, user: User, instance_id: str, if_match: str | None,
                      state: str, comment: str | None) -> Submission:
    """Set a submission's review state (with a comment when given); approval rings a merge left waiting."""
    require_reviewer(user)
    body = clean_comment(comment)
    submission = _locked(session, user, instance_id)
    check_if_match(if_match, etag(submission), stale_code="submission.stale")
    check_decision(submission.status, state, body, superseded=submission.superseded)
    before = submission.review_state
    submission.set_review_state(state)
    if body:
        _comment(session, submission, user, body, state)
    record(session, user.id, "submission.review", target_type="submission", target_id=submission.instance_id,
           detail={"from": before, "to": state, "comment": body is not None})
    if state == ReviewState.APPROVED and submission.status == SubmissionStatus.VALIDATED:
        from server import pipeline  # the job wiring sits above every context

        # What follows validation runs again: the merge skips what does not wait for approval.
        pipeline.ring_followers(session, settings, jobs.validate_submission, submission.id)
    session.flush()
    return read_reviewed(session, Sealer.from_settings(settings), user, instance_id)


def add_comment(session: Session, user: User, instance_id: str, body: str) -> SubmissionComment:
    """Add a comment to a submission's thread without changing its state."""
    require_reviewer(user)
    text = clean_comment(body)
    if text is None:
        raise RuleViolation("a comment cannot be empty", code="review.comment_required", message_zh="意见不能为空",
                            errors={"body": ["required"]})
    submission = get_submission(session, user, instance_id)
    row = _comment(session, submission, user, text, None)
    record(session, user.id, "submission.comment", target_type="submission", target_id=submission.instance_id)
    session.flush()
    return row
