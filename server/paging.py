"""The keyset cursor codec: opaque, URL-safe tokens for where the next page starts.

Every cursor the API gives out is base64url (unpadded) of a short text: the
decimal id of the last row shown (``encode_cursor``), or for pages ordered by
more than an id, a compact JSON value (``encode_state``). A token that does not
decode is a 400 ``request.bad_cursor`` everywhere, so a client treats every
cursor alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from server.errors import BadRequestError


def bad_cursor() -> BadRequestError:
    """The one error for a cursor this API did not give out."""
    return BadRequestError("cursor is not one this API gave out", code="request.bad_cursor",
                           message_zh="分页游标无效", errors={"cursor": ["invalid"]})


def encode_token(text: str) -> str:
    """The opaque form of a cursor's text."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The text an opaque cursor stands for; 400 ``request.bad_cursor`` when it is not one of ours."""
    try:
        return base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad_cursor() from None


def encode_cursor(last_id: int) -> str:
    """An opaque cursor for the position after ``last_id``."""
    return encode_token(str(last_id))


def decode_cursor(token: str | None) -> int | None:
    """The id a cursor stands for (None for none); 400 ``request.bad_cursor`` when it is not one of ours."""
    if not token:
        return None
    try:
        value = int(decode_token(token))
    except ValueError:
        value = -1
    if value < 0:
        raise bad_cursor()
    return value


def encode_state(state: Any) -> str:
    """An opaque cursor for a position made of several values (compact JSON)."""
    return encode_token(json.dumps(state, separators=(",", ":")))


def decode_state(token: str, valid: Callable[[Any], bool]) -> Any:
    """The JSON value a cursor stands for, if ``valid`` accepts it; 400 ``request.bad_cursor`` otherwise."""
    try:
        state = json.loads(decode_token(token))
    except ValueError:
        raise bad_cursor() from None
    if not valid(state):
        raise bad_cursor()
    return state
