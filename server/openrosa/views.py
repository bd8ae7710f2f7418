"""The OpenRosa endpoints ODK Collect talks to (a plain blueprint, not part of the JSON API).

Collect is pointed at ``https://HOST/openrosa`` and appends ``/formList`` and
``/submission`` itself; everything else it reaches through the absolute URLs
these documents carry. Views stay thin: authenticate, call one service,
frame the answer. Errors are framed by the error map's /openrosa renderer.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for

from server.accounts.auth import current_caller, current_user
from server.accounts.models import User
from server.db import unit_of_work
from server.errors import BadRequestError
from server.forms.models import FormVersion
from server.openrosa import intake, service
from server.openrosa.documents import MediaFileEntry, XFormEntry, form_list_xml, manifest_xml
from server.openrosa.responses import (
    add_openrosa_headers,
    message_response,
    request_body_limit,
    xml_response,
)
from server.submissions.uploads import IncomingFile

bp = Blueprint("openrosa", __name__, url_prefix="/openrosa")
bp.after_request(add_openrosa_headers)

XML_PART = "xml_submission_file"


def _user() -> User:
    return current_user(allow_basic=True)


def _form_url(endpoint: str, version: FormVersion, **extra: str) -> str:
    return url_for(endpoint, form_id=version.form_id, version=version.version, _external=True, **extra)


@bp.get("/formList")
def form_list() -> Response:
    """The forms the caller may fill: an OpenRosa ``xforms`` document."""
    with unit_of_work() as session:
        versions = service.fillable_versions(session, _user(), request.args.get("formID") or None)
        entries = [XFormEntry(form_id=v.form_id, name=v.title, version=v.version, md5=v.xform_md5,
                              download_url=_form_url("openrosa.versioned_form_xml", v),
                              manifest_url=_form_url("openrosa.versioned_manifest", v) if v.media_files else None)
                   for v in versions]
    return xml_response(form_list_xml(entries))


@bp.get("/forms/<form_id>/form.xml")
@bp.get("/forms/<form_id>/versions/<version>/form.xml", endpoint="versioned_form_xml")
def form_xml(form_id: str, version: str | None = None) -> Response:
    """A form's XForm: the published version, or the one named."""
    with unit_of_work() as session:
        found = service.form_version(session, _user(), form_id, version)
        body = found.xform_xml.encode("utf-8")
    return xml_response(body)


@bp.get("/forms/<form_id>/manifest")
@bp.get("/forms/<form_id>/versions/<version>/manifest", endpoint="versioned_manifest")
def manifest(form_id: str, version: str | None = None) -> Response:
    """A form version's media files: an OpenRosa ``manifest`` document."""
    with unit_of_work() as session:
        user = _user()
        found = service.form_version(session, user, form_id, version)
        entries = [MediaFileEntry(filename=m.filename, md5=m.md5, type=m.type,
                                  download_url=_form_url("openrosa.versioned_attachment", found, filename=m.filename))
                   for m in service.media_files(session, user, found)]
    return xml_response(manifest_xml(entries))


@bp.get("/forms/<form_id>/attachments/<filename>")
@bp.get("/forms/<form_id>/versions/<version>/attachments/<filename>", endpoint="versioned_attachment")
def attachment(form_id: str, filename: str, version: str | None = None) -> Response:
    """One media file of a form version, such as an entity list CSV."""
    with unit_of_work() as session:
        user = _user()
        media = service.media_file(session, user, service.form_version(session, user, form_id, version), filename)
    response = Response(media.content, content_type=media.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{media.filename}"'
    response.headers["ETag"] = f'"{media.md5}"'
    return response


@bp.route("/submission", methods=["HEAD", "POST"])
def submission() -> Response:
    """HEAD: 204 once authenticated. POST: receive one filled form (idempotent by instanceID)."""
    with unit_of_work() as session:
        user = service.require_filler(current_caller(allow_basic=True))  # read only: not attached to the session
        if request.method == "HEAD":
            return xml_response(b"", 204)
        request.max_content_length = request_body_limit()
        xml, attachments = _read_multipart()
        settings = current_app.extensions["gridreg"].settings
        result = intake.receive(session, settings, user, xml, attachments, device_id=request.args.get("deviceID"),
                                user_agent=request.headers.get("User-Agent"))
    if result.created:
        return message_response("提交成功", "Form received", 201)
    return message_response("已收到（重复提交）", "Form already received", 201)


def _read_multipart() -> tuple[bytes, list[IncomingFile]]:
    """The XML part and the attached files, by the names the XML gives them."""
    if not request.mimetype.startswith("multipart/"):
        raise BadRequestError("expected multipart/form-data with an xml_submission_file part",
                              code="submission.not_multipart", message_zh="提交应为 multipart/form-data")
    files = request.files
    if XML_PART in files:
        xml = files[XML_PART].read()
    elif XML_PART in request.form:
        xml = request.form[XML_PART].encode("utf-8")
    else:
        raise BadRequestError("the request has no xml_submission_file part", code="submission.no_xml",
                              message_zh="缺少 xml_submission_file")
    uploads = [IncomingFile(name, storage.read(), storage.mimetype or "application/octet-stream")
               for name, storage in files.items(multi=True) if name != XML_PART]
    return xml, uploads
