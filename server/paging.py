"""The keyset cursor codec: an opaque, URL-safe token for the last id a page showed.

The same format as the registry's and the submissions' cursors (base64url of
the decimal id, unpadded), so a client treats every cursor alike.
"""

from __future__ import annotations

import base64
import binascii

from server.errors import BadRequestError


def encode_cursor(last_id: int) -> str:
    """An opaque cursor for the position after ``last_id``."""
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> int | None:
    """The id a cursor stands for (None for none); 400 ``request.bad_cursor`` when it is not one of ours."""
    if not token:
        return None
    try:
        value = int(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = -1
    if value < 0:
        raise BadRequestError("cursor is not one this API gave out", code="request.bad_cursor",
                              message_zh="分页游标无效", errors={"cursor": ["invalid"]})
    return value
