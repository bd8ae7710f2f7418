"""Collect's settings QR code and the endpoints that show it."""

from __future__ import annotations

import io

from PIL import Image

from server.openrosa.collect_settings import CollectSettings, decode_payload


def test_payload_is_base64_zlib_json_in_collects_format() -> None:
    settings = CollectSettings("https://gridreg.example.cn/openrosa", "worker")
    assert decode_payload(settings.payload()) == {
        "general": {"server_url": "https://gridreg.example.cn/openrosa", "username": "worker",
                    "protocol": "odk_default"},
        "admin": {},
        "project": {"name": "gridreg"},
    }
    assert "password" not in decode_payload(settings.payload())["general"]


def test_png_is_a_qr_image() -> None:
    image = Image.open(io.BytesIO(CollectSettings("http://h/openrosa", "w").png()))
    assert image.format == "PNG" and image.size[0] == image.size[1] and image.size[0] > 100
