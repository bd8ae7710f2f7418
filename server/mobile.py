"""Serve the offline web client (mobile_web/) at /m/ from our own origin."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, send_from_directory
from werkzeug.wrappers import Response as WerkzeugResponse

MOBILE_ROOT = Path(__file__).resolve().parent.parent / "mobile_web"

blp = Blueprint("mobile", __name__)

TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".webmanifest": "application/manifest+json",
          ".json": "application/json", ".css": "text/css", ".svg": "image/svg+xml"}


@blp.get("/")
def root() -> WerkzeugResponse:
    """The web client is the front page."""
    return redirect("/m/", code=302)


@blp.get("/m/")
@blp.get("/m/<path:path>")
def client(path: str = "index.html") -> Response:
    """A file of the client; the service worker and shell are always revalidated."""
    response = send_from_directory(MOBILE_ROOT, path, mimetype=TYPES.get(Path(path).suffix), max_age=0)
    if path in ("index.html", "sw.js", "manifest.webmanifest"):
        response.headers["Cache-Control"] = "no-cache"
        if path == "sw.js":
            response.headers["Service-Worker-Allowed"] = "/m/"
    return response
