"""What the API sends, as the OpenAPI document tells it.

A ``ReplySchema`` describes a body the server sends. The document lists every
one of its fields as required and allows no other (``additionalProperties:
false``), so a client can rely on the shape and a body with a field too many or
too few is off contract (tests/core/test_openapi_contract.py validates real
responses against the document). A field that some bodies leave out says so
with ``metadata={"optional": True}``. Bodies that a hot path builds by hand
(the intake receipt, a sync page) are described by a ReplySchema all the same:
the hand-built body and its schema must agree, and the contract test holds
them to it. Request schemas stay plain ``Schema``: which of their fields are
required is theirs to say.
"""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema


class ReplySchema(Schema):
    """A body the server sends: documented as a closed object whose every field is present."""


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
