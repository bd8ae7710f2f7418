"""The flask-smorest Api, the view base class and shared API helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.views import MethodView
from flask_smorest import Api

from server.db import unit_of_work

API_PREFIX = "/api/v1"


class BaseView(MethodView):
    """A resource whose every method runs inside one unit of work."""

    def dispatch_request(self, *args: Any, **kwargs: Any) -> Any:
        """Run the method, then commit; roll back if it raises."""
        with unit_of_work():
            return super().dispatch_request(*args, **kwargs)


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
    return Api(app)
