"""Schemas: submissions and pages out, list query arguments, review decisions and comments in.

The JSON ``submission`` part of intake is read in part.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from server.schemas import ReplySchema
from server.submissions import queries
from server.submissions.models import Flag, ReviewState, SubmissionStatus


class ReceivedBound(fields.Field[datetime]):
    """A date-time bound of the list; a bare date means the start (or, for ``to``, the end) of that day."""

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                start = datetime.combine(day + timedelta(days=1 if self.end_of_day else 0), time(), _city_tz())
                return start
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("expected an ISO 8601 date or date-time") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_city_tz())


def _city_tz() -> tzinfo:
    from flask import current_app, has_app_context

    if has_app_context():
        tz: tzinfo = current_app.extensions["gridreg"].settings.tz
        return tz
    return ZoneInfo("Asia/Shanghai")


class SubmissionQueryArgsSchema(Schema):
    """Filters and keyset pagination of the supervisor list."""

    class Meta:
        unknown = EXCLUDE

    instance_id = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in SubmissionStatus]),
                           metadata={"description": "validation status"})
    review_state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in ReviewState]))
    flag = fields.String(load_default=None, validate=validate.OneOf([f.value for f in Flag]))
    grid = fields.String(load_default=None, metadata={"description": "admin unit code; its whole subtree"})
    submitter = fields.String(load_default=None, metadata={"description": "username"})
    received_from = ReceivedBound(load_default=None, metadata={
        "description": "received at or after: ISO date-time, or a date (from its start, city time)"})
    received_to = ReceivedBound(end_of_day=True, load_default=None, metadata={
        "description": "received before: ISO date-time, or a date (up to its end, city time)"})
    since = ReceivedBound(load_default=None, metadata={"description": "the same as received_from"})
    until = ReceivedBound(end_of_day=True, load_default=None, metadata={"description": "the same as received_to"})
    all_versions = fields.Boolean(load_default=False, metadata={"description": "include superseded versions"})
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class ReviewQueueArgsSchema(SubmissionQueryArgsSchema):
    """Filters of the review queue across forms."""

    form = fields.String(load_default=None, metadata={"description": "form_id"})


# The type of a value a function computes (apispec cannot see it).
_STRING = {"type": "string"}
_INTEGER = {"type": "integer"}
_NUMBER = {"type": "number"}
_OPT_NUMBER = {"type": "number", "nullable": True}


def _closed(**properties: dict[str, Any]) -> dict[str, Any]:
    """A closed object whose every property is present, for a value a method builds."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


# VersionSchema's shape, for the edit chain a method dumps.
_VERSION = _closed(instance_id=_STRING, deprecated_id={"type": "string", "nullable": True}, status=_STRING,
                   review_state=_STRING, received_at={"type": "string", "format": "date-time"})


class AttachmentSchema(ReplySchema):
    """An attachment with its download links."""

    name = fields.String()
    field = fields.String()
    kind = fields.String()
    received = fields.Boolean()
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    content_type = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    taken_at = fields.String(allow_none=True)
    gps_lon = fields.Float(allow_none=True)
    gps_lat = fields.Float(allow_none=True)
    derivatives = fields.String()
    urls = fields.Method("_urls", metadata={"type": "object", "additionalProperties": {"type": "string"},
                                            "description": "original, display, thumb: download links"})

    def _urls(self, att: Any) -> dict[str, str]:
        if not att.received:
            return {}
        base = f"/api/v1/submissions/{att.submission.instance_id}/attachments/{quote(att.name, safe='')}"
        urls = {"original": base}
        if att.display_sha256:
            urls["display"] = base + "?size=display"
        if att.thumb_sha256:
            urls["thumb"] = base + "?size=thumb"
        return urls


class IssueSchema(ReplySchema):
    """One validation problem."""

    path = fields.String()
    code = fields.String()
    message = fields.String()


class VersionSchema(ReplySchema):
    """One version in an edit chain."""

    instance_id = fields.String()
    deprecated_id = fields.String(allow_none=True)
    status = fields.String()
    review_state = fields.String()
    received_at = fields.DateTime()


class SubmissionSchema(ReplySchema):
    """A submission as the list shows it."""

    instance_id = fields.String()
    root_id = fields.String()
    deprecated_id = fields.String(allow_none=True)
    form_id = fields.Function(lambda s: s.form_version.form.form_id, metadata=_STRING)
    form_version = fields.Function(lambda s: s.form_version.version, metadata=_STRING)
    form_title = fields.Function(lambda s: s.form_version.form.title, metadata=_STRING)
    status = fields.String()
    review_state = fields.String()
    submitter = fields.Function(lambda s: s.submitter.username, metadata=_STRING)
    submitter_name = fields.Function(lambda s: s.submitter.display_name, metadata=_STRING)
    received_at = fields.DateTime()
    device_id = fields.String(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    grid = fields.Function(lambda s: s.unit.code if s.unit is not None else None, allow_none=True, metadata=_STRING)
    grid_name = fields.Function(lambda s: s.unit.name if s.unit is not None else None, allow_none=True,
                                metadata=_STRING)
    location = fields.Method("_location", allow_none=True, metadata={
        **_closed(lon=_NUMBER, lat=_NUMBER, altitude=_OPT_NUMBER, accuracy=_OPT_NUMBER),
        "description": "where the device was (WGS 84 degrees, metres)"})
    flags = fields.Dict()
    attachments_expected = fields.Function(lambda s: len(s.attachments), metadata=_INTEGER)
    attachments_received = fields.Function(lambda s: sum(1 for a in s.attachments if a.received), metadata=_INTEGER)

    def _location(self, sub: Any) -> dict[str, Any] | None:
        from server.submissions.queries import point_of

        point = point_of(sub)
        if point is None:
            return None
        return {"lon": point[0], "lat": point[1], "altitude": sub.altitude_m, "accuracy": sub.accuracy_m}


class SubmissionDetailSchema(SubmissionSchema):
    """A submission with its data (sensitive answers masked by role), problems, attachments and edit chain."""

    data = fields.Dict(attribute="shown_data")
    meta = fields.Dict()
    errors = fields.List(fields.Nested(IssueSchema))
    validated_at = fields.DateTime(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    versions = fields.Method("_versions", metadata={"type": "array", "items": _VERSION,
                                                    "description": "the edit chain, oldest first"})
    review_comment = fields.String(allow_none=True, metadata={"description": "the review's latest comment"})
    changes = fields.List(fields.Nested(lambda: ChangeSchema()), allow_none=True, metadata={
        "description": "for an edit: the answers that differ from the version it replaced (masked like data)"})

    def _versions(self, sub: Any) -> list[dict[str, Any]]:
        from server.submissions.queries import versions_of

        dumped: list[dict[str, Any]] = VersionSchema(many=True).dump(versions_of(sub))
        return dumped


class ChangeSchema(ReplySchema):
    """One answer an edit changed."""

    path = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class SubmissionReceiptSchema(ReplySchema):
    """What intake answers: the stored version's identity, state and missing files; the detail has the rest."""

    instance_id = fields.String()
    root_id = fields.String()
    deprecated_id = fields.String(allow_none=True)
    form_id = fields.String()
    form_version = fields.String()
    status = fields.String()
    received_at = fields.DateTime()
    grid = fields.String(allow_none=True)
    flags = fields.Dict()
    attachments_expected = fields.Integer()
    attachments_received = fields.Integer()
    missing_attachments = fields.List(fields.String(), metadata={"description": "names still to upload"})
    url = fields.String(metadata={"description": "the submission's detail"})


def receipt(sub: Any) -> dict[str, Any]:
    """The receipt of a stored submission, built from the loaded row (no schema walk, no query).

    Intake is the hottest path of the service; the receipt is what a client needs to know its
    upload is safe, and ``url`` leads to the full detail.
    """
    return receipt_of(
        {"instance_id": sub.instance_id, "root_id": sub.root_id, "deprecated_id": sub.deprecated_id,
         "status": sub.status, "received_at": sub.received_at, "flags": sub.flags},
        sub.form_version, sub.unit.code if sub.unit is not None else None,
        [{"name": a.name, "sha256": a.sha256} for a in sub.attachments])


def receipt_of(row: Mapping[str, Any], version: Any, grid: str | None,
               attachments: list[dict[str, Any]]) -> dict[str, Any]:
    """The receipt from a submission row's values as intake wrote them (``receipt`` for a loaded one)."""
    return {
        "instance_id": row["instance_id"], "root_id": row["root_id"], "deprecated_id": row["deprecated_id"],
        "form_id": version.form.form_id, "form_version": version.version,
        "status": row["status"], "received_at": row["received_at"].isoformat(),
        "grid": grid, "flags": row["flags"],
        "attachments_expected": len(attachments),
        "attachments_received": sum(1 for a in attachments if a["sha256"] is not None),
        "missing_attachments": [a["name"] for a in attachments if a["sha256"] is None],
        "url": f"/api/v1/submissions/{quote(row['instance_id'], safe='')}",
    }


class SubmissionPageSchema(ReplySchema):
    """One page of the list."""

    items = fields.List(fields.Nested(SubmissionSchema))
    next_cursor = fields.String(allow_none=True)


class ReviewQueuePageSchema(SubmissionPageSchema):
    """One page of the review queue, with counts per review state under the same filters."""

    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "received, has_issues, approved, rejected, returned: under the same filters but the "
                       "review state; each counted up to counts_limit (a count equal to it means at least)"})
    counts_limit = fields.Function(lambda _: queries.COUNT_LIMIT,
                                   metadata={**_INTEGER, "description": "where counts stop"})


class ReviewSchema(Schema):
    """A review decision."""

    class Meta:
        unknown = EXCLUDE

    review_state = fields.String(required=True, validate=validate.OneOf([s.value for s in ReviewState]))
    comment = fields.String(load_default=None, allow_none=True, metadata={
        "description": "required to reject or return; at most 2,000 characters"})


class CommentCreateSchema(Schema):
    """A comment on a submission."""

    class Meta:
        unknown = EXCLUDE

    body = fields.String(required=True, metadata={"description": "at most 2,000 characters"})


class CommentSchema(ReplySchema):
    """One comment of a review thread."""

    id = fields.Integer()
    author = fields.Function(lambda c: c.author.username, metadata=_STRING)
    author_name = fields.Function(lambda c: c.author.display_name, metadata=_STRING)
    body = fields.String()
    created_at = fields.DateTime()
    review_state = fields.String(allow_none=True, metadata={"description": "the state set with this comment"})


class CommentListSchema(ReplySchema):
    """A review thread, oldest first."""

    items = fields.List(fields.Nested(CommentSchema))


class ReturnedSchema(ReplySchema):
    """A submission sent back to its worker, with the reviewer's latest comment."""

    instance_id = fields.String()
    root_id = fields.String()
    form_id = fields.Function(lambda s: s.form_version.form.form_id, metadata=_STRING)
    form_version = fields.Function(lambda s: s.form_version.version, metadata=_STRING)
    review_state = fields.String()
    comment = fields.String(attribute="review_comment", allow_none=True)
    data = fields.Dict(attribute="shown_data")
    received_at = fields.DateTime()
    attachments = fields.List(fields.Nested(AttachmentSchema), metadata={
        "description": "the files the correction may send again (an edit carries its own files)"})


class ReturnedListSchema(ReplySchema):
    """The caller's returned submissions still waiting for a correction."""

    items = fields.List(fields.Nested(ReturnedSchema))
