"""Export files written row by row to disk, so memory stays flat at any size.

CSV is Excel-safe: UTF-8 with a byte-order mark (so Excel reads Chinese
correctly) and every text cell that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) prefixed with an
apostrophe (OWASP's advice against CSV injection); a plain number such as
-3.5 is left as it is. Several tables (a form's repeats) become one ZIP of
CSV files joined by their keys, as ODK Central exports them. XLSX streams
each sheet to its own temporary file (xlsx.py), one sheet per table; text is
always stored as text, never run as a formula.
GeoJSON streams one Feature per line inside the FeatureCollection.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from server.exports import xlsx

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")  # ASCII digits, no trailing newline
_LEADS = frozenset(FORMULA_LEADS)
BOM = "\ufeff"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
XLSX_SHEET_MAX = 31


def neutralise(value: str) -> str:
    """A text cell that no spreadsheet will run as a formula."""
    if value and value.startswith(FORMULA_LEADS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """One CSV cell: empty for None, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return value


class TableWriter(Protocol):
    """Rows of one table."""

    def write(self, row: Sequence[Any]) -> None:
        """Append one row (in header order)."""


class Output(Protocol):
    """An export file made of one or more tables."""

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        """Start a table; its writer."""

    def close(self) -> tuple[str, str]:
        """Finish the file; (extension, content type)."""

    def discard(self) -> None:
        """Close and remove whatever was written (an export that failed)."""


class _CsvTable:
    def __init__(self, handle: IO[str], header: Sequence[str]) -> None:
        self.handle = handle
        handle.write(BOM)
        self.writer = csv.writer(handle, lineterminator="\r\n")
        self.writer.writerow([csv_cell(h) for h in header])

    def write(self, row: Sequence[Any]) -> None:
        # csv_cell inlined: this runs for every cell of every row
        self.writer.writerow(["" if v is None else neutralise(v) if type(v) is str and v[:1] in _LEADS else v
                              for v in row])

    def write_text(self, text: str) -> None:
        """Append rows already rendered as this writer renders them (fastpath.py: PostgreSQL's COPY)."""
        self.handle.write(text)


class CsvOutput:
    """One CSV file, or a ZIP of CSV files when there is more than one table."""

    def __init__(self, path: Path, stem: str) -> None:
        self.path, self.stem = path, stem
        self.parts: list[tuple[str, Path, IO[str]]] = []

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        part = self.path.with_name(f"{self.path.name}.{len(self.parts)}.csv")
        handle = part.open("w", encoding="utf-8", newline="")
        self.parts.append((name, part, handle))
        return _CsvTable(handle, header)

    def close(self) -> tuple[str, str]:
        for _, _, handle in self.parts:
            handle.close()
        if len(self.parts) == 1:
            self.parts[0][1].replace(self.path)
            return "csv", CONTENT_TYPES["csv"]
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, part, _ in self.parts:
                archive.write(part, f"{name}.csv")
                part.unlink()
        return "zip", CONTENT_TYPES["zip"]

    def discard(self) -> None:
        for _, part, handle in self.parts:
            handle.close()
            part.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)


class XlsxOutput:
    """One workbook (xlsx.py: rows streamed as SpreadsheetML), one sheet per table."""

    def __init__(self, path: Path, stem: str) -> None:
        self.path = path
        self.book = xlsx.Workbook(path)
        self.names: set[str] = set()

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        title = re.sub(r"[\[\]:*?/\\]", "_", name)[:XLSX_SHEET_MAX]
        while title in self.names:
            title = title[: XLSX_SHEET_MAX - 2] + f"_{len(self.names)}"
        self.names.add(title)
        sheet = self.book.add_sheet(title)
        sheet.write(header)
        return sheet

    def close(self) -> tuple[str, str]:
        self.book.save()
        return "xlsx", CONTENT_TYPES["xlsx"]

    def discard(self) -> None:
        self.book.discard()
        self.path.unlink(missing_ok=True)


class GeoJsonOutput:
    """A FeatureCollection; each row is (lon, lat, properties)."""

    def __init__(self, path: Path, stem: str) -> None:
        self.path = path
        self.handle = path.open("w", encoding="utf-8")
        self.handle.write('{"type":"FeatureCollection","features":[\n')
        self.first = True

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        return self

    def write(self, row: Sequence[Any]) -> None:
        lon, lat, properties = row
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": properties}
        self.handle.write(("" if self.first else ",\n") + json.dumps(feature, ensure_ascii=False, default=str))
        self.first = False

    def close(self) -> tuple[str, str]:
        self.handle.write("\n]}\n")
        self.handle.close()
        return "geojson", CONTENT_TYPES["geojson"]

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


def open_output(fmt: str, path: Path, stem: str) -> Output:
    """The writer for a format."""
    if fmt == "csv":
        return CsvOutput(path, stem)
    if fmt == "xlsx":
        return XlsxOutput(path, stem)
    return GeoJsonOutput(path, stem)
