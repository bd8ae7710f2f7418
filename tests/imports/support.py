"""Import test helpers: valid ID numbers, files in each encoding and format, the demo grid."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from server.domain import resident_id

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in the city
WORKER_POINT = (113.74, 34.40)  # inside the demo worker's grid
HEADER = ["full_name", "resident_id", "sex", "ethnicity", "birth_date", "phone", "origin_county", "arrival_date",
          "current_address", "grid"]


def id_number(n: int, born: str = "19850612", county: str = "640104") -> str:
    """A valid 18-character ID number, distinct per ``n``."""
    first17 = f"{county}{born}{n % 1000:03d}"
    return first17 + resident_id.check_char(first17)


def person(n: int, grid: str, **changes: Any) -> dict[str, str]:
    """One row of a person file (property names as headers)."""
    name = f"马{'小红明亮华强丽娟'[n % 8]}{'一二三四五六七八九十'[n // 8 % 10]}"
    row = {"full_name": name, "resident_id": id_number(n), "sex": "2", "ethnicity": "03",
           "birth_date": "1985-06-12", "phone": f"138{n:08d}",
           "origin_county": "640104", "arrival_date": "2026-03-01", "current_address": f"和庄镇幸福路{n}号",
           "grid": grid}
    row.update(changes)
    return row


def csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8", header: list[str] | None = None) -> bytes:
    """The rows as CSV in an encoding ('utf-8-sig' writes the BOM Excel writes)."""
    header = header or list(rows[0])
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    """The rows as an .xlsx workbook made with openpyxl (ID numbers as text, dates as dates)."""
    from datetime import date

    from openpyxl import Workbook

    header = header or list(rows[0])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        cells: list[Any] = []
        for h in header:
            value = row.get(h, "")
            cells.append(date.fromisoformat(value) if h.endswith("_date") and value else value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
