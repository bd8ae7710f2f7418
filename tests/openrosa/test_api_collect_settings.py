"""GET /api/v1/me/collect-settings(.png): the caller's Collect settings and QR code."""

from __future__ import annotations

import base64
import io
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from server.openrosa.collect_settings import decode_payload


def test_me_collect_settings_json_and_png(client: FlaskClient, auth: Any) -> None:
    response = client.get("/api/v1/me/collect-settings", headers=auth.headers("worker"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["server_url"] == "http://localhost/openrosa"
    assert body["username"] == "worker"
    assert decode_payload(body["payload"]) == body["settings"]
    assert body["settings"]["general"]["server_url"] == "http://localhost/openrosa"
    prefix = "data:image/png;base64,"
    assert body["qr_png"].startswith(prefix)
    assert Image.open(io.BytesIO(base64.b64decode(body["qr_png"][len(prefix):]))).format == "PNG"
    png = client.get(body["qr_png_url"].replace("http://localhost", ""), headers=auth.headers("worker"))
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_collect_settings_need_a_login(client: FlaskClient) -> None:
    response = client.get("/api/v1/me/collect-settings")
    assert response.status_code == 401 and response.get_json()["error"] == "auth.required"
    assert client.get("/api/v1/me/collect-settings.png").status_code == 401


def test_collect_settings_are_in_the_openapi(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/me/collect-settings" in paths and "/api/v1/me/collect-settings.png" in paths
    assert not any(p.startswith("/openrosa") for p in paths)
