"""JSON schemas of the Collect settings endpoint."""

from __future__ import annotations

from marshmallow import fields

from server.schemas import ReplySchema


class CollectSettingsSchema(ReplySchema):
    """How to set up ODK Collect for the caller, and the QR code that does it."""

    server_url = fields.String(required=True, metadata={"description": "Collect's server URL (…/openrosa)"})
    username = fields.String(required=True)
    payload = fields.String(required=True, metadata={"description": "base64(zlib(settings JSON)): the QR text"})
    settings = fields.Dict(required=True, metadata={"description": "the settings JSON the QR code carries"})
    qr_png = fields.String(required=True, metadata={"description": "the QR code as a data:image/png;base64 URL"})
    qr_png_url = fields.String(required=True)
