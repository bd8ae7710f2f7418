"""Submission intake (multipart JSON) and the supervisor's list and detail."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from server.accounts.auth import current_caller, current_user
from server.api import API_PREFIX, ETAG_HEADER, GUARDED, BaseView, Blueprint, Tagged, app_sealer, tagged
from server.db import get_session
from server.errors import BadRequestError
from server.submissions import review, service, uploads
from server.submissions.models import Submission, SubmissionComment
from server.submissions.part import SubmissionIn, load_submission_part
from server.submissions.schemas import (
    CommentCreateSchema,
    CommentListSchema,
    CommentSchema,
    ReturnedListSchema,
    ReviewQueueArgsSchema,
    ReviewQueuePageSchema,
    ReviewSchema,
    SubmissionDetailSchema,
    SubmissionPageSchema,
    SubmissionQueryArgsSchema,
    SubmissionReceiptSchema,
)

blp = Blueprint("submissions", __name__, url_prefix=API_PREFIX, description="提交 (submissions)")
SUBMISSION_PART = "submission"


def read_intake_request() -> tuple[SubmissionIn, dict[str, uploads.IncomingFile]]:
    """The ``submission`` JSON part and the file parts of a multipart POST (or a bare JSON body)."""
    if request.mimetype == "application/json":
        return load_submission_part(request.get_data()), {}
    if not request.mimetype.startswith("multipart/"):
        raise BadRequestError("send multipart/form-data with a 'submission' part",
                              code="submission.missing_part", message_zh="缺少 submission 部分")
    part = request.files.get(SUBMISSION_PART)
    raw = part.read() if part is not None else request.form.get(SUBMISSION_PART, "").encode("utf-8")
    if not raw:
        raise BadRequestError("the multipart body has no 'submission' part", code="submission.missing_part",
                              message_zh="缺少 submission 部分")
    parts = [uploads.IncomingFile(name, upload.read(), upload.mimetype or None)
             for name, upload in request.files.items(multi=True) if name != SUBMISSION_PART]
    parts += [uploads.IncomingFile(name, value.encode("utf-8"), None)  # a file part sent without a filename
              for name, value in request.form.items(multi=True) if name != SUBMISSION_PART]
    files = uploads.incoming_files(parts)
    return load_submission_part(raw), files


@blp.route("/forms/<string:form_id>/submissions")
class FormSubmissions(BaseView):
    """A form's submissions."""

    @blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
        "submission": {"type": "string", "description": "JSON: instance_id, form_version, data, meta, deprecated_id"}},
        "additionalProperties": {"type": "string", "format": "binary"}}}}})
    @blp.response(201, SubmissionReceiptSchema)
    @blp.alt_response(200, schema=SubmissionReceiptSchema, description="a replay of a stored submission")
    def post(self, form_id: str) -> Response:
        """Submit a filled form with its files; a replay of the same instance_id answers 200.

        The answer is a receipt (identity, status, flags, files still missing); the detail is at its ``url``.
        """
        user = current_caller()  # read only: no copy attached to the session
        payload, files = read_intake_request()
        session = get_session()
        version = service.resolve_form_version(session, form_id, payload.form_version)
        result = service.submit(
            session, current_app.extensions["gridreg"].settings, user, form_version=version,
            instance_id=payload.instance_id, data=payload.data, raw=payload.raw, raw_format="json",
            attachments=files, deprecated_id=payload.deprecated_id, meta=payload.meta)
        response = jsonify(result.receipt)
        response.status_code = 201 if result.created else 200
        return response

    @blp.arguments(SubmissionQueryArgsSchema, location="query")
    @blp.response(200, SubmissionPageSchema)
    def get(self, args: dict[str, Any], form_id: str) -> service.Page:
        """Submissions in the caller's scope, filtered, newest first (keyset pagination)."""
        return service.list_submissions(get_session(), current_user(), form_id, args)


@blp.route("/submissions")
class ReviewQueue(BaseView):
    """The review queue: submissions of every form."""

    @blp.arguments(ReviewQueueArgsSchema, location="query")
    @blp.response(200, ReviewQueuePageSchema)
    def get(self, args: dict[str, Any]) -> service.Page:
        """Submissions in the caller's scope across forms, newest first, with counts per review state."""
        return service.review_queue(get_session(), current_user(), args)


@blp.route("/submissions/<string:instance_id>")
class SubmissionDetail(BaseView):
    """One submission."""

    @blp.response(200, SubmissionDetailSchema, headers=ETAG_HEADER)
    def get(self, instance_id: str) -> Tagged:
        """Status, review, problems, flags, attachments, the edit chain and (for an edit) the changed answers.

        The ETag names the review's state: send it as If-Match with a decision.
        """
        submission = review.read_reviewed(get_session(), app_sealer(), current_user(), instance_id)
        return tagged(submission, review.etag(submission))

    @blp.arguments(ReviewSchema)
    @blp.response(200, SubmissionDetailSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def patch(self, body: dict[str, Any], instance_id: str) -> Tagged:
        """Set the review state (If-Match: the ETag; 412 stale, 428 absent); reject and return need a comment."""
        submission = review.review_submission(
            get_session(), current_app.extensions["gridreg"].settings, current_user(), instance_id,
            request.headers.get("If-Match"), body["review_state"], body.get("comment"))
        return tagged(submission, review.etag(submission))


@blp.route("/submissions/<string:instance_id>/comments")
class SubmissionComments(BaseView):
    """A submission's review thread."""

    @blp.response(200, CommentListSchema)
    def get(self, instance_id: str) -> dict[str, list[SubmissionComment]]:
        """The comments, oldest first."""
        return {"items": review.list_comments(get_session(), current_user(), instance_id)}

    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    def post(self, body: dict[str, Any], instance_id: str) -> SubmissionComment:
        """Add a comment (at most 2,000 characters) without changing the review state."""
        return review.add_comment(get_session(), current_user(), instance_id, body["body"])


@blp.route("/me/returned")
class MyReturned(BaseView):
    """What reviewers sent back to the caller."""

    @blp.response(200, ReturnedListSchema)
    def get(self) -> dict[str, list[Submission]]:
        """The caller's returned submissions not yet replaced by a corrected edit, with the latest comment."""
        return {"items": review.list_returned(get_session(), app_sealer(), current_user())}
