"""The flask-smorest Api, the view base class and shared API helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import flask
from flask import Flask, current_app
from flask.views import MethodView
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from server.db import unit_of_work
from server.errors import BadRequestError, ErrorSchema, RuleViolation
from server.json_input import JsonInputError, load_json
from server.schemas import ContractPlugin
from server.sealing.crypto import Sealer
from server.settings import Settings

API_PREFIX = "/api/v1"
CLOCK_KEY = "GRIDREG_CLOCK"  # app.config: () -> aware datetime; tests fix the moment


def app_settings() -> Settings:
    """The running application's settings."""
    settings: Settings = current_app.extensions["gridreg"].settings
    return settings


def app_sealer() -> Sealer:
    """The sealer for the running application's settings (services take it as an argument)."""
    return Sealer.from_settings(app_settings())


def request_now() -> datetime:
    """The moment of this request: the app's clock (``CLOCK_KEY``) when one is set, else the system's."""
    clock: Callable[[], datetime] | None = current_app.config.get(CLOCK_KEY)
    return clock() if clock is not None else datetime.now(UTC)


class StrictJsonParser(FlaskParser):
    """webargs' parser reading JSON bodies with ``load_json``: no NaN, no infinity, bounded nesting."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return load_json(req.get_data(cache=True))
        except JsonInputError as exc:
            raise json_body_error(exc) from exc


def json_body_error(exc: JsonInputError) -> BadRequestError | RuleViolation:
    """The 4xx for a JSON request body that ``load_json`` refused, located at ``json`` as webargs does."""
    errors = {"json": [str(exc)]}
    if exc.kind == "depth":
        return BadRequestError(str(exc), code="request.json_too_deep", message_zh="请求体 JSON 嵌套层数过多",
                               errors=errors)
    if exc.kind == "number":
        return RuleViolation(str(exc), code="request.number_out_of_range", message_zh="请求中的数值超出范围",
                             errors=errors)
    if exc.kind == "nul":
        return RuleViolation(str(exc), code="request.nul_character", message_zh="请求中的文字含有 NUL 字符",
                             errors=errors)
    return BadRequestError(f"the body is not valid JSON: {exc}", code="request.malformed_json",
                           message_zh="请求体不是有效的 JSON", errors=errors)


class Blueprint(SmorestBlueprint):  # type: ignore[misc]  # flask-smorest ships no types
    """The API's blueprint: flask-smorest's, with request bodies read by ``StrictJsonParser``."""

    ARGUMENTS_PARSER = StrictJsonParser()


# Optimistic concurrency: a decision names the state it was made on (the ETag it read) in If-Match,
# and errors.check_if_match answers 428 without one and 412 when it is stale. The tags are the
# services' own readable revisions, checked after the resource is found and in scope, with
# stable per-context codes (registry.stale, submission.stale…); flask-smorest's ETag support hashes
# the body, checks before the view runs and only on PUT/PATCH/DELETE, so it is not used.
ETAG_HEADER = {"ETag": {"description": "the state's tag: send it as If-Match with a change",
                        "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
            "description": "the ETag last read; 428 without it, 412 when the data changed since"}
GUARDED = {"parameters": [IF_MATCH], "responses": {"412": "PRECONDITION_FAILED", "428": "PRECONDITION_REQUIRED"}}

Tagged = tuple[Any, int, dict[str, str]]


def tagged(body: Any, etag: str, status: int = 200) -> Tagged:
    """A view's answer with its ETag header."""
    return body, status, {"ETag": etag}


class BaseView(MethodView):
    """A resource whose every method runs inside one unit of work."""

    def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        """Run the method, then commit; roll back if it raises."""
        with unit_of_work():
            return super().dispatch_request(*args, **kwargs)


class GridregApi(Api):  # type: ignore[misc]  # flask-smorest ships no types
    """flask-smorest's Api documenting errors with the one error body of server/errors.py."""

    ERROR_SCHEMA = ErrorSchema


def make_api(app: Flask) -> Api:
    """Bind a flask-smorest Api to the app, with docs served from local files."""
    app.config.update(
        API_TITLE="gridreg",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": "网格化少数民族流动人口服务管理系统 API (gridreg)"},
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "basicAuth": {"type": "http", "scheme": "basic"},
                }
            },
            "security": [{"bearerAuth": []}],
        },
    )
    # register_error_handlers runs after this and replaces flask-smorest's
    # HTTPException handler, so one error map answers everywhere.
    return GridregApi(app, spec_kwargs={"marshmallow_plugin": ContractPlugin()})
