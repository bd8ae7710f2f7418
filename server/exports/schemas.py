"""Export and feed request and response bodies."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from server.exports.service import ExportRequest
from server.schemas import ReplySchema, Verbatim

_OPTION_KEYS = ("shape", "headers", "values", "split_select_multiple")


class ExportCreateSchema(Schema):
    """What to export; unknown sources, names, formats and option values answer 422 with stable codes."""

    source = fields.String(required=True, metadata={"description": "dataset | form"})
    name = fields.String(required=True, validate=validate.Length(1, 100),
                         metadata={"description": "a dataset name (persons) or a form id"})
    format = fields.String(required=True, metadata={"description": "csv | xlsx | geojson"})
    shape = fields.String(metadata={"description": "forms: odk (ODK Central's columns, default) | kobo"})
    headers = fields.String(metadata={"description": "path (default) | labels"})
    values = fields.String(metadata={"description": "forms: codes (default) | labels"})
    split_select_multiple = fields.Boolean(metadata={"description": "forms: one 1/0 column per choice too"})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> ExportRequest:
        options = {k: data[k] for k in _OPTION_KEYS if k in data}
        return ExportRequest(data["source"], data["name"], data["format"], options)


class ExportAcceptedSchema(ReplySchema):
    """A queued export."""

    id = fields.String()
    status = fields.String()


class ExportSchema(ReplySchema):
    """An export's progress, and its signed, expiring download link once done."""

    id = fields.String()
    status = fields.String(metadata={"description": "queued | running | done | failed | expired"})
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    source = fields.String()
    name = fields.String()
    format = fields.String()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    download_url = fields.String(allow_none=True)


class DownloadArgsSchema(Schema):
    """A signed link's parameters."""

    expires = fields.String(required=True)
    signature = fields.String(required=True)


class FeedArgsSchema(Schema):
    """Where to read the feed from."""

    cursor = fields.String(metadata={"description": "the next_cursor of the previous page; none: from the start"})
    limit = fields.Integer(validate=validate.Range(1, 10_000))
    dataset = fields.String(metadata={"description": "one dataset only (default: every dataset of the purpose)"})


class FeedStateSchema(ReplySchema):
    """A record's state at an event's version (properties within the purpose, masked as it says)."""

    label = fields.String(allow_none=True)
    unit_path = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "active, departed or merged"})
    properties = fields.Dict()


class FeedEventSchema(ReplySchema):
    """One event of the feed: ``upsert`` with the record's state, or ``remove`` when it left the caller's share."""

    cursor = fields.String()
    dataset = fields.String()
    kind = fields.String(metadata={"description": "created, updated, moved, departed, returned, merged…"})
    uuid = fields.String()
    version = fields.Integer()
    event_date = fields.String(allow_none=True)
    at = fields.String(allow_none=True, metadata={"format": "date-time"})
    op = fields.String(metadata={"description": "upsert | remove"})
    state = fields.Nested(FeedStateSchema, metadata={"optional": True, "description": "upsert only"})


class FeedPageSchema(ReplySchema):
    """Events after the cursor, each with the record's state at that version (shaped by exports.feed)."""

    items = fields.List(Verbatim(FeedEventSchema))
    next_cursor = fields.String()
    has_more = fields.Boolean()
