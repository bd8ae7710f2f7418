"""Import API: an administrator uploads a department file; its progress and report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView
from server.db import get_session
from server.errors import BadRequestError
from server.imports import service
from server.imports.schemas import ImportAcceptedSchema, ImportFormSchema, ImportSchema

blp = Blueprint("imports", __name__, url_prefix=API_PREFIX, description="批量导入 (bulk imports)")
_FORM_SLACK = 64_000  # the multipart envelope and the other fields around the file


@blp.before_request
def _import_size_limit() -> None:
    """An upload may be as large as the import limit (not the app's), and no larger: 413 import.too_large."""
    if request.method == "POST":
        settings = current_app.extensions["gridreg"].settings
        if request.content_length is not None:
            service.check_size(settings, max(0, request.content_length - _FORM_SLACK))
        request.max_content_length = settings.max_import_bytes + _FORM_SLACK


def _upload() -> tuple[str, bytes, bytes | str | None]:
    """The file part (name, bytes) and the mapping (a part or a field)."""
    part = request.files.get("file")
    if part is None:
        raise BadRequestError("send the file as the multipart part 'file'", code="import.missing_file",
                              message_zh="缺少 file 文件部分", errors={"file": ["missing"]})
    mapping_part = request.files.get("mapping")
    mapping = mapping_part.read() if mapping_part is not None else request.form.get("mapping")
    return part.filename or "upload", part.read(), mapping


@blp.route("/imports")
class Imports(BaseView):
    """Bulk imports."""

    @blp.arguments(ImportFormSchema, location="form")
    @blp.response(202, ImportAcceptedSchema)
    def post(self, args: dict[str, Any]) -> Response:
        """Upload a CSV or XLSX file for a dataset (administrators); 202 with the import's id and status."""
        user = current_user()
        service.require_importer(user)
        filename, data, mapping = _upload()
        job = service.create_import(
            get_session(), current_app.extensions["gridreg"].settings, user, dataset=args["dataset"],
            source=args["source"], filename=filename, data=data, mapping=mapping, encoding=args.get("encoding"),
            now=datetime.now(UTC))
        response = jsonify(service.summary(job))
        response.status_code = 202
        return response


@blp.route("/imports/<int:import_id>")
class ImportDetail(BaseView):
    """One import."""

    @blp.response(200, ImportSchema)
    def get(self, import_id: int) -> dict[str, Any]:
        """Progress ``{status, done, total}``, where it stopped if it failed, and the report."""
        session = get_session()
        return service.view(session, service.get_import(session, current_user(), import_id))
