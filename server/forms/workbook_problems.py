"""A located problem in an uploaded workbook: sheet, row, column, stable code and message.

``row`` is the sheet's 1-based row (the header is row 1); ``sheet``, ``row`` and
``column`` are ``None`` where a problem concerns the whole file or sheet. ``value`` is the
content of the cell a problem points at (at most ``VALUE_CHARS`` characters), ``None`` where
there is no such cell or it is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

VALUE_CHARS = 200


class WorkbookProblem(TypedDict):
    """One located problem in a workbook."""

    sheet: str | None
    row: int | None
    column: str | None
    code: str
    message: str
    value: str | None


def problem(sheet: str | None, row: int | None, column: str | None, code: str, message: str,
            value: str | None = None) -> WorkbookProblem:
    """Build one located problem."""
    return {"sheet": sheet, "row": row, "column": column, "code": code, "message": message, "value": value}


def row_number(index: int) -> int:
    """Sheet row of the index-th data row (the header is row 1)."""
    return index + 2


def sorted_problems(problems: Iterable[WorkbookProblem]) -> list[WorkbookProblem]:
    """Problems in sheet order, then row, then column (file-level first)."""
    order = {None: 0, "settings": 1, "survey": 2, "choices": 3, "entities": 4}
    return sorted(problems, key=lambda p: (order.get(p["sheet"], 5), p["row"] or 0, p["column"] or ""))
