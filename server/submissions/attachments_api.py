"""Attachments of a submission, served to users whose scope covers it."""

from __future__ import annotations

from flask import Response, current_app, request, send_file

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, Blueprint
from server.db import get_session
from server.errors import BadRequestError, NotFoundError
from server.media.storage import media_store
from server.submissions import service

blp = Blueprint("media", __name__, url_prefix=API_PREFIX, description="附件 (attachments)")
SIZES = ("original", "display", "thumb")


@blp.route("/submissions/<string:instance_id>/attachments/<string:name>")
class Attachment(BaseView):
    """One attached file."""

    @blp.doc(parameters=[{"in": "query", "name": "size", "schema": {"type": "string", "enum": list(SIZES)}}],
             responses={"200": {"description": "the file", "content": {"image/*": {}}}})
    def get(self, instance_id: str, name: str) -> Response:
        """The file, or its display / thumbnail derivative (JPEG, no EXIF)."""
        size = request.args.get("size", "original")
        if size not in SIZES:
            raise BadRequestError("size must be original, display or thumb", code="media.bad_size",
                                  errors={"size": [size]})
        att = service.get_attachment(get_session(), current_user(), instance_id, name)
        sha, mimetype = att.sha256, att.content_type or "application/octet-stream"
        if size != "original":
            sha, mimetype = (att.display_sha256 if size == "display" else att.thumb_sha256), "image/jpeg"
        if sha is None:
            raise NotFoundError(f"no {size} derivative of {name} yet", code="media.derivative_not_ready",
                                message_zh="缩略图尚未生成")
        path = media_store(current_app.extensions["gridreg"].settings).path_for(sha)
        if not path.is_file():
            raise NotFoundError(f"file {name} is missing from storage", code="media.missing")
        inline = mimetype.startswith("image/")
        response = send_file(path, mimetype=mimetype, as_attachment=not inline, download_name=name,
                             etag=sha, conditional=True, max_age=3600)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response
