"""Serve the supervisors' console (mobile_web/console/) at /console/, beside the phone client at /m/.

The console shares the phone client's modules (API client, i18n, form model, value formatting):
its import map sends ``/app/`` and ``/vendor/`` to ``/m/app/`` and ``/m/vendor/``, so a console
module imports ``../../app/api.js`` as it lies on disk. ``config.json`` tells the page what the
city's settings say about base-map tiles.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from server.mobile import MOBILE_ROOT, TYPES

CONSOLE_ROOT = MOBILE_ROOT / "console"
SHELL = frozenset({"index.html"})

blp = Blueprint("console", __name__)


@blp.get("/console/config.json")
def config() -> Response:
    """Base-map tiles (none unless GRIDREG_TILE_URL is set) and the tiles' datum."""
    settings = current_app.extensions["gridreg"].settings
    response = jsonify({"tile_url": settings.tile_url, "tile_crs": settings.tile_crs,
                        "tile_attribution": settings.tile_attribution})
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/console/")
@blp.get("/console/<path:path>")
def console(path: str = "index.html") -> Response:
    """A file of the console; the shell is always revalidated so a new release shows at once."""
    response = send_from_directory(CONSOLE_ROOT, path, mimetype=TYPES.get(Path(path).suffix), max_age=0)
    if path in SHELL:
        response.headers["Cache-Control"] = "no-cache"
    return response
