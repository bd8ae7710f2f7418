"""Attachments of a submission, served to users whose scope covers it."""

from __future__ import annotations

from flask import Response, request, send_file

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, Blueprint, app_settings
from server.db import get_session
from server.submissions.attachments import SIZES, attachment_file

blp = Blueprint("media", __name__, url_prefix=API_PREFIX, description="附件 (attachments)")


@blp.route("/submissions/<string:instance_id>/attachments/<string:name>")
class Attachment(BaseView):
    """One attached file."""

    @blp.doc(parameters=[{"in": "query", "name": "size", "schema": {"type": "string", "enum": list(SIZES)}}],
             responses={"200": {"description": "the file", "content": {"image/*": {}}}})
    def get(self, instance_id: str, name: str) -> Response:
        """The file, or its display / thumbnail derivative (JPEG, no EXIF)."""
        found = attachment_file(get_session(), app_settings(), current_user(), instance_id, name,
                                request.args.get("size", "original"))
        inline = found.mimetype.startswith("image/")
        response = send_file(found.path, mimetype=found.mimetype, as_attachment=not inline, download_name=name,
                             etag=found.sha256, conditional=True, max_age=3600)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response
