"""Read the reference CSV tables shipped inside the package (server/data)."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib.resources import files


@cache
def read_csv(*parts: str) -> tuple[dict[str, str], ...]:
    """Rows of server/data/<parts...> as dicts, read once per process."""
    resource = files("server").joinpath("data", *parts)
    text = resource.read_text(encoding="utf-8-sig")
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(text)))
