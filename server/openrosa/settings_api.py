"""The caller's ODK Collect settings, as JSON and as a QR code to scan (part of the JSON API)."""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, request, url_for

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, Blueprint
from server.openrosa.collect_settings import CollectSettings
from server.openrosa.schemas import CollectSettingsSchema

blp = Blueprint("collect_settings", __name__, url_prefix=API_PREFIX,
                description="ODK Collect 配置二维码 (Collect settings)")


def _settings() -> CollectSettings:
    server_url = request.host_url.rstrip("/") + "/openrosa"
    return CollectSettings(server_url=server_url, username=current_user().username)


@blp.route("/me/collect-settings")
class CollectSettingsResource(BaseView):
    """Settings for the caller's Collect."""

    @blp.response(200, CollectSettingsSchema)
    def get(self) -> dict[str, Any]:
        """Server URL and username for Collect, with the settings QR code (no password in it)."""
        settings = _settings()
        png = base64.b64encode(settings.png()).decode("ascii")
        return {"server_url": settings.server_url, "username": settings.username, "payload": settings.payload(),
                "settings": settings.document(), "qr_png": f"data:image/png;base64,{png}",
                "qr_png_url": url_for("collect_settings.CollectSettingsPng", _external=True)}


@blp.route("/me/collect-settings.png")
class CollectSettingsPng(BaseView):
    """The settings QR code as an image."""

    @blp.response(200, content_type="image/png", description="Collect's settings QR code")
    def get(self) -> Response:
        """The QR code to scan in Collect (Project settings → Reconfigure with QR code)."""
        response = Response(_settings().png(), content_type="image/png")
        response.headers["Cache-Control"] = "private, no-store"
        return response
