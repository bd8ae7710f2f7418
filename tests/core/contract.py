"""Checking real responses against the OpenAPI document the app serves.

``Contract`` sends requests through the Flask test client, finds the operation
each one reached (by the URL rule Flask matched), and validates the status, the
JSON body and the documented headers (an ETag) against what the document says
that operation answers: a 2xx by its own response schema, an error by the one
error schema. It records every
operation that answered a 2xx, so a test can say which operations it covered.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from werkzeug.test import TestResponse

_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def openapi_path(rule: str) -> str:
    """A Flask URL rule as an OpenAPI path: ``<string:code>`` -> ``{code}``."""
    return _CONVERTER.sub(r"{\1}", rule)


def operations(document: dict[str, Any]) -> set[str]:
    """Every operation of the document as ``METHOD /path``."""
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


class OffContract(AssertionError):
    """A response the document does not describe."""


class Contract:
    """Requests through the test client, each response checked against the document."""

    def __init__(self, app: Flask, client: FlaskClient, auth: Any) -> None:
        self.app = app
        self.client = client
        self.auth = auth
        self.document: dict[str, Any] = client.get("/api/openapi.json").get_json()
        self.covered: set[str] = set()
        self.last: TestResponse | None = None

    def call(self, method: str, url: str, *, user: str | None = None, expect: int = 200,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """Send the request as ``user``, assert its status, check it against the document; the JSON body."""
        sent = {**(self.auth.headers(user) if user else {}), **(headers or {})}
        response = self.last = self.client.open(url, method=method, headers=sent, **kwargs)
        assert response.status_code == expect, (method, url, response.status_code, response.get_data(as_text=True))
        self.check(method, url, response)
        return response.get_json(silent=True)

    def operation_of(self, method: str, url: str) -> str:
        """The document's ``METHOD /path`` for a request URL."""
        adapter = self.app.url_map.bind("localhost")
        rule, _ = adapter.match(url.split("?", 1)[0], method=method, return_rule=True)
        return f"{method.upper()} {openapi_path(rule.rule)}"

    def check(self, method: str, url: str, response: TestResponse) -> None:
        """Raise ``OffContract`` unless the document describes this status and body for the operation."""
        operation = self.operation_of(method, url)
        verb, path = operation.split(" ", 1)
        documented = self.document["paths"].get(path, {}).get(verb.lower())
        if documented is None:
            raise OffContract(f"{operation} is not in the document")
        status = response.status_code
        answer = documented["responses"].get(str(status)) or documented["responses"].get("default")
        if answer is None:
            raise OffContract(f"{operation} answered {status}, which the document does not list")
        answer = self._resolve(answer)
        content = answer.get("content") or {}
        if status == 204 or not content:
            if response.get_data():
                raise OffContract(f"{operation} answered {status} with a body the document does not describe")
        else:
            if response.mimetype != "application/json" or "application/json" not in content:
                raise OffContract(f"{operation} answered {response.mimetype}; documented: {sorted(content)}")
            self.validate(content["application/json"]["schema"], response.get_json())
        for header in answer.get("headers") or {}:
            if header not in response.headers:
                raise OffContract(f"{operation} answered {status} without its documented {header} header")
        if 200 <= status < 300:
            self.covered.add(operation)

    def validate(self, schema: dict[str, Any], body: Any) -> None:
        """Raise ``OffContract`` with every problem when ``body`` does not fit ``schema``."""
        root = {**schema, "components": self.document["components"]}  # "#/components/…" resolve against it
        validator = OAS30ReadValidator(root, format_checker=oas30_format_checker)
        problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if problems:
            raise OffContract("\n".join(f"{list(p.absolute_path)}: {p.message}" for p in problems[:20]))

    def _resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in item:
            node: Any = self.document
            for part in item["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            item = node
        return item
