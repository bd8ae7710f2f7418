"""HTTP framing shared by every OpenRosa response, success or error.

Collect checks ``X-OpenRosa-Version`` on every answer, splits uploads by
``X-OpenRosa-Accept-Content-Length``, and shows the ``<message>`` of an
``OpenRosaResponse`` to the grid worker. Errors reach this module through the
one error map (``server.errors``): ``render_error`` is registered there as the
renderer for the ``/openrosa`` prefix, so 401/404/405/413/500 all get the same
envelope and headers as answers from the views.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from werkzeug.http import http_date

from server.errors import wants_chinese
from server.openrosa.documents import response_xml

PREFIX = "/openrosa"
XML_MIMETYPE = "text/xml"
REALM = "gridreg"
# What Collect may put in one POST; larger submissions are split across several.
DEFAULT_ACCEPT_CONTENT_LENGTH = 10 * 1024 * 1024
# Multipart framing (boundaries and part headers) on top of the files' own bytes.
MULTIPART_SLACK = 256 * 1024


def accept_content_length() -> int:
    """The largest sum of file sizes Collect should put in one submission POST."""
    settings = current_app.extensions["gridreg"].settings
    return int(min(DEFAULT_ACCEPT_CONTENT_LENGTH, settings.max_upload_bytes))


def request_body_limit() -> int:
    """The largest submission request body accepted: the advertised length plus framing."""
    return accept_content_length() + MULTIPART_SLACK


def content_language() -> str:
    """The language the response's messages are in."""
    return "zh-CN" if wants_chinese() else "en"


def add_openrosa_headers(response: Response) -> Response:
    """Stamp the headers Collect expects on ``response``."""
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length())
    if not request.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        response.headers["Date"] = http_date()  # gunicorn always sends its own; Date is a singleton
    response.headers.setdefault("Content-Language", content_language())
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


def xml_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An XML response with the OpenRosa headers."""
    response = Response(body, status=status, headers=headers, content_type=f"{XML_MIMETYPE}; charset=utf-8")
    return add_openrosa_headers(response)


def message_response(message_zh: str, message_en: str, status: int, *, nature: str = "submit_success") -> Response:
    """An ``OpenRosaResponse`` with one localised message."""
    message = message_zh if wants_chinese() else message_en
    return xml_response(response_xml(message, nature=nature), status)


def render_error(body: dict[str, Any], status: int) -> Response:
    """The error map's renderer for /openrosa: the envelope with ``nature="error"``."""
    xml = response_xml(str(body.get("message", "")), nature="error", code=body.get("error"),
                       errors=body.get("errors"))
    return xml_response(xml, status)
