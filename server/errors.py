"""Domain errors and the one mapping from errors to HTTP responses.

Services raise ``AppError`` subclasses carrying an HTTP status and a stable
dotted code (``submission.payload_mismatch``). ``register_error_handlers``
turns every error — ours, Werkzeug's, flask-smorest's and unexpected ones —
into ``{code, status, message, errors, error}``, in zh-CN or English by
Accept-Language. Areas with another wire format (OpenRosa XML) register a
renderer for their URL prefix instead of handling errors themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from marshmallow import fields as ma_fields
from werkzeug.exceptions import HTTPException

from server.schemas import ReplySchema

log = logging.getLogger(__name__)

ErrorBody = dict[str, Any]
Renderer = Callable[[ErrorBody, int], Response]


class AppError(Exception):
    """Base of every error the service raises on purpose."""

    status = 400
    code = "bad_request"
    message_zh = "请求有误"
    keep_changes = False  # commit what the request wrote before failing

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Mapping[str, Any] | None = None,
        code: str | None = None,
        message_zh: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message or HTTPStatus(status or self.status).phrase)
        self.errors = dict(errors or {})
        if code:
            self.code = code
        if message_zh:
            self.message_zh = message_zh
        if status:
            self.status = status

    @property
    def message(self) -> str:
        """The English message."""
        return str(self.args[0])


class BadRequestError(AppError):
    status, code, message_zh = 400, "request.malformed", "请求格式有误"


class AuthenticationError(AppError):
    status, code, message_zh = 401, "auth.required", "需要登录"


class PermissionDeniedError(AppError):
    status, code, message_zh = 403, "auth.forbidden", "无权执行此操作"


class NotFoundError(AppError):
    status, code, message_zh = 404, "not_found", "未找到"


class ConflictError(AppError):
    status, code, message_zh = 409, "conflict", "与现有数据冲突"


class PreconditionFailedError(AppError):
    status, code, message_zh = 412, "precondition_failed", "数据已被他人修改，请刷新后重试"


class PreconditionRequiredError(AppError):
    status, code, message_zh = 428, "precondition_required", "缺少 If-Match 请求头"


def check_if_match(if_match: str | None, current: str, *, stale_code: str) -> None:
    """An optimistic-concurrency guard on a decision: 428 without If-Match, 412 when it names an older state."""
    if not if_match:
        raise PreconditionRequiredError("If-Match header required")
    if if_match.strip().removeprefix("W/") != current:
        raise PreconditionFailedError("the data changed since you read it", code=stale_code)


class PayloadTooLargeError(AppError):
    status, code, message_zh = 413, "request.too_large", "上传内容过大"


class RuleViolation(AppError):
    status, code, message_zh = 422, "validation.failed", "数据校验未通过"


class TooManyRequestsError(AppError):
    status, code, message_zh = 429, "too_many_requests", "尝试次数过多，请稍后再试"


class ServiceUnavailableError(AppError):
    """The database or Redis cannot be reached: nothing was stored, the client should try again shortly."""

    status, message_zh = 503, "服务暂时不可用，请稍后重试"
    RETRY_AFTER_SECONDS = 5

    def __init__(self, what: str) -> None:
        super().__init__(f"the {what} is unavailable; try again shortly", code=f"service.{what}_unavailable",
                         message_zh=self.message_zh)
        self.headers = {"Retry-After": str(self.RETRY_AFTER_SECONDS)}


def unavailable(exc: BaseException) -> str | None:
    """"database" or "queue" when ``exc`` says that service cannot be reached (an outage, not a bug), else None.

    A lost or refused PostgreSQL connection, a backend terminated by the
    administrator, a full pool, or a Redis connection error; the request's
    transaction has rolled back, so the client's retry (same instance id) is safe.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, DisconnectionError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
        return "queue"
    if isinstance(exc, (DisconnectionError, PoolTimeoutError)):
        return "database"
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _is_outage(exc.orig)):
        return "database"
    return None


def _is_outage(orig: BaseException | None) -> bool:
    """psycopg's own word: the connection failed or the server is shutting down (SQLSTATE 08, 57P)."""
    if orig is None or not type(orig).__module__.startswith("psycopg"):
        return False  # SQLite's OperationalError is a locked file or a bug, not a lost server
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    return sqlstate.startswith(("08", "57P")) or (type(orig).__name__ == "OperationalError" and not sqlstate)


# Codes for errors that Werkzeug or flask-smorest raise, by HTTP status.
_HTTP_CODES = {
    400: ("request.malformed", "请求格式有误"),
    401: ("auth.required", "需要登录"),
    403: ("auth.forbidden", "无权执行此操作"),
    404: ("not_found", "未找到"),
    405: ("request.method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "与现有数据冲突"),
    412: ("precondition_failed", "数据已被他人修改，请刷新后重试"),
    413: ("request.too_large", "上传内容过大"),
    415: ("request.unsupported_media_type", "不支持的内容类型"),
    422: ("validation.failed", "数据校验未通过"),
    428: ("precondition_required", "缺少 If-Match 请求头"),
    429: ("too_many_requests", "尝试次数过多，请稍后再试"),
}


class ErrorSchema(ReplySchema):
    """The one error body, whatever the error: ours, Werkzeug's, flask-smorest's or unexpected."""

    code = ma_fields.Integer(metadata={"description": "the HTTP status"})
    status = ma_fields.String(metadata={"description": "the HTTP status's phrase"})
    message = ma_fields.String(metadata={"description": "in zh-CN or English by Accept-Language"})
    errors = ma_fields.Dict(metadata={"description": "per field (or request part): what is wrong with it"})
    error = ma_fields.String(metadata={"description": "a stable dotted code, e.g. submission.payload_mismatch"})


def wants_chinese() -> bool:
    """True unless the client prefers English over Chinese."""
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"], default="zh")
    return not (best or "zh").startswith("en")


def _body(status: int, code: str, message: str, errors: Mapping[str, Any] | None) -> ErrorBody:
    return {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": dict(errors or {}),
        "error": code,
    }


def _render(body: ErrorBody, status: int, headers: Mapping[str, str] | None = None) -> Response:
    renderers: list[tuple[str, Renderer]] = current_app.extensions["gridreg"].error_renderers
    for prefix, renderer in renderers:
        if request.path.startswith(prefix):
            response = renderer(body, status)
            break
    else:
        response = jsonify(body)
        response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _smorest_errors(exc: HTTPException) -> tuple[dict[str, Any], str | None]:
    """Field errors flattened from webargs' {location: {field: [msgs]}}."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    flat: dict[str, Any] = {}
    malformed = None
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, msgs in fields.items():
                flat[name] = msgs
        else:
            flat[location] = fields
    if exc.code == 400 and "json" in messages and not isinstance(messages["json"], dict):
        malformed = "request.malformed_json"
    return flat, malformed


def register_error_handlers(app: Flask) -> None:
    """Install the one error map on the application."""

    @app.errorhandler(AppError)
    def _on_app_error(exc: AppError) -> Response:
        message = exc.message_zh if wants_chinese() else exc.message
        headers = getattr(exc, "headers", None)
        return _render(_body(exc.status, exc.code, message, exc.errors), exc.status, headers)

    @app.errorhandler(HTTPException)
    def _on_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message_zh = _HTTP_CODES.get(status, (f"http.{status}", HTTPStatus(status).phrase))
        errors, malformed = _smorest_errors(exc)
        if malformed:
            code, message_zh = malformed, "请求体不是有效的 JSON"
        message = message_zh if wants_chinese() else (exc.description or HTTPStatus(status).phrase)
        headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type",)}
        headers.pop("Content-Length", None)
        return _render(_body(status, code, message, errors), status, headers)

    @app.errorhandler(Exception)
    def _on_unexpected(exc: Exception) -> Response:
        outage = unavailable(exc)
        if outage is not None:
            log.warning("%s unavailable: %s", outage, exc.__class__.__name__)
            error = ServiceUnavailableError(outage)
            message = error.message_zh if wants_chinese() else error.message
            return _render(_body(503, error.code, message, None), 503, error.headers)
        log.exception("unhandled error")
        message = "服务器内部错误" if wants_chinese() else "Internal server error"
        return _render(_body(500, "internal", message, None), 500)
