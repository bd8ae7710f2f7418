"""OpenRosa for ODK Collect: the protocol (form list, XForms, manifests, media, submissions) in views.py
under /openrosa; the Collect settings JSON and QR code (part of the JSON API) in settings_api.py."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Attach the /openrosa blueprint, its error renderer and the Collect settings endpoints."""
    from server.openrosa.responses import PREFIX, render_error
    from server.openrosa.settings_api import blp as settings_blp
    from server.openrosa.views import bp

    app.extensions["gridreg"].error_renderers.append((PREFIX, render_error))
    app.register_blueprint(bp)
    api.register_blueprint(settings_blp)
