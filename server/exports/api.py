"""Exports API (request, progress, signed download) and the change feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, send_file
from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, app_sealer
from server.db import get_session
from server.exports import feed, service
from server.exports.schemas import (
    DownloadArgsSchema,
    ExportAcceptedSchema,
    ExportCreateSchema,
    ExportSchema,
    FeedArgsSchema,
    FeedPageSchema,
)
from server.registry.sync import dumps
from server.settings import Settings

blp = Blueprint("exports", __name__, url_prefix=API_PREFIX,
                description="数据共享：导出与变更推送 (exports and change feed)")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["gridreg"].settings
    return settings


def _now() -> datetime:
    return datetime.now(UTC)


@blp.route("/exports")
class Exports(BaseView):
    """Request an export."""

    @blp.arguments(ExportCreateSchema)
    @blp.response(202, ExportAcceptedSchema)
    def post(self, req: service.ExportRequest) -> Any:
        """Queue an export of a dataset or a form's submissions in the caller's scope and purpose."""
        return service.request_export(get_session(), _settings(), current_user(), req, _now())


@blp.route("/exports/<string:export_id>")
class ExportDetail(BaseView):
    """One export's progress."""

    @blp.response(200, ExportSchema)
    def get(self, export_id: str) -> dict[str, Any]:
        """Status, rows done of total, and a signed download link once done (the caller's own exports only)."""
        row = service.get_export(get_session(), current_user(), export_id)
        return service.view(_settings(), row, _now())


@blp.route("/exports/<string:export_id>/download")
class ExportDownload(BaseView):
    """The file behind a signed link."""

    @blp.arguments(DownloadArgsSchema, location="query")
    @blp.response(200)
    def get(self, args: dict[str, str], export_id: str) -> Response:
        """The export's file; 410 once the link or the file has expired."""
        found = service.open_download(get_session(), _settings(), current_user(), export_id, args["expires"],
                                      args["signature"], _now())
        return send_file(found.path, mimetype=found.content_type, as_attachment=True,
                         download_name=found.file_name, max_age=0)


@blp.route("/feed")
class Feed(BaseView):
    """The registry's change feed within the caller's purpose."""

    @blp.arguments(FeedArgsSchema, location="query")
    @blp.response(200, FeedPageSchema)
    def get(self, args: dict[str, Any]) -> Response:
        """Events after the cursor in commit order, each with the record's state at that version."""
        page = feed.read_feed(get_session(), app_sealer(), current_user(), args.get("cursor"), args.get("limit"),
                              args.get("dataset"))
        return current_app.response_class(dumps(page), mimetype="application/json")
