"""What the API sends, as the OpenAPI document tells it.

A ``ReplySchema`` describes a body the server sends. The document lists every
one of its fields as required and allows no other (``additionalProperties:
false``), so a client can rely on the shape and a body with a field too many or
too few is off contract (tests/core/test_openapi_contract.py validates real
responses against the document). A field that some bodies leave out says so
with ``metadata={"optional": True}``. Bodies that a hot path builds by hand
(the intake receipt, a sync page) are described by a ReplySchema all the same:
the hand-built body and its schema must agree, and the contract test holds
them to it. Nested parts a service shapes as dicts are sent through
``Verbatim``, documented by their schema but not dumped again. Request
schemas stay plain ``Schema``: which of their fields are required is theirs
to say.
"""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema, fields


class ReplySchema(Schema):
    """A body the server sends: documented as a closed object whose every field is present."""


class Verbatim(fields.Nested):
    """A nested reply a service already shaped as a dict: documented as its schema, sent as it is.

    Dumping it again would cost time (a page of ten thousand feed events takes
    about 26 times as long through a nested schema as passed on: 0.8 s against
    30 ms) and would coerce values to the declared types, hiding from the
    contract test a value the service got wrong; the test holds the dicts to
    the schema instead.
    """

    # marshmallow's Field and Nested name the first parameter differently: no signature fits both.
    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return nested_obj


class ContractConverter(OpenAPIConverter):
    """apispec's converter, closing and completing the description of every ``ReplySchema``."""

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        """The JSON Schema of a marshmallow schema; a reply's fields all required, no others allowed."""
        jsonschema: dict[str, Any] = super().schema2jsonschema(schema)  # type: ignore[no-untyped-call]
        instance = resolve_schema_instance(schema)
        if isinstance(instance, ReplySchema):
            jsonschema["additionalProperties"] = False
            required = [field.data_key or name for name, field in instance.dump_fields.items()
                        if not field.metadata.get("optional")]
            if required:
                jsonschema["required"] = sorted(required)
        return jsonschema


class ContractPlugin(MarshmallowPlugin):
    """The marshmallow plugin of the API's document, with ``ContractConverter``."""

    Converter = ContractConverter
