"""ODK Collect's settings QR code: JSON, zlib-compressed, base64-encoded, drawn as a QR code.

Scanning it in Collect (Project settings → Reconfigure with QR code) sets the
server URL and username; any setting left out is reset to Collect's default.
The password is never put in the code: the worker types it once.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any

import segno

PROJECT_NAME = "gridreg"


@dataclass(frozen=True, slots=True)
class CollectSettings:
    """What a user's Collect needs to reach gridreg."""

    server_url: str
    username: str

    def document(self) -> dict[str, Any]:
        """Collect's settings JSON."""
        return {
            "general": {"server_url": self.server_url, "username": self.username, "protocol": "odk_default"},
            "admin": {},
            "project": {"name": PROJECT_NAME},
        }

    def payload(self) -> str:
        """The text the QR code carries: base64(zlib(json))."""
        raw = json.dumps(self.document(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return base64.b64encode(zlib.compress(raw)).decode("ascii")

    def png(self, scale: int = 6) -> bytes:
        """The QR code as a PNG image."""
        out = io.BytesIO()
        segno.make(self.payload(), micro=False, error="m").save(out, kind="png", scale=scale, border=4)
        return out.getvalue()


def decode_payload(payload: str) -> dict[str, Any]:
    """Read a settings payload back (tests, support)."""
    document: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
    return document
