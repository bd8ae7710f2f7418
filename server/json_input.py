"""Strict JSON for what clients send: real JSON numbers only, and bounded nesting.

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON), turns ``1e309``
into infinity, and recurses once per nesting level, so a body nested 100,000
deep raises ``RecursionError``; and a ``\u0000`` in any string is valid JSON
that PostgreSQL cannot store in text or JSON. None of these can be stored or
compared, and each used to surface as a 500. ``load_json`` refuses them with a
``JsonInputError`` whose ``kind`` says which, for the caller to map to its own
stable code.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

# Deeper than any form's groups and repeats (or any API body) will ever be.
MAX_DEPTH = 64

Kind = Literal["syntax", "depth", "number", "nul"]


class JsonInputError(ValueError):
    """Why the text is not acceptable JSON: ``syntax`` (not JSON), ``depth``, ``number`` or ``nul``."""

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind: Kind = kind


def _not_json(literal: str) -> Any:
    raise JsonInputError("syntax", f"{literal} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError("number", f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    try:
        value = int(text)
        float(value)
    except (OverflowError, ValueError):  # past a double, or past Python's digit limit
        raise JsonInputError("number", f"the number {text[:40]}… is out of range") from None
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` (UTF-8 if bytes) or raise ``JsonInputError``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite_float, parse_int=_bounded_int)
    except JsonInputError:
        raise
    except RecursionError:
        raise JsonInputError("depth", f"JSON nested deeper than {max_depth} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise JsonInputError("syntax", str(exc)) from exc
    if _depth_exceeds(value, max_depth):
        raise JsonInputError("depth", f"JSON nested deeper than {max_depth} levels")
    if "\\u0000" in text and _holds_nul(value):  # the escape is the only way a NUL gets in
        raise JsonInputError("nul", "a string holds a NUL character (\\u0000)")
    return value
