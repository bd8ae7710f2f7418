"""Export files written row by row to disk, so memory stays flat at any size.

CSV is Excel-safe: UTF-8 with a byte-order mark (so Excel reads Chinese
correctly) and every text cell that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) prefixed with an
apostrophe (OWASP's advice against CSV injection); a plain number such as
-3.5 is left as it is. Several tables (a form's repeats) become one ZIP of
CSV files joined by their keys, as ODK Central exports them. XLSX uses
openpyxl's write-only mode (each sheet streams to its own temporary file),
one sheet per table; text that would be a formula is stored as text.
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

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):  # openpyxl would store it as a formula: keep it text
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            return cell
    return value


class _XlsxTable:
    def __init__(self, sheet: Any, header: Sequence[str]) -> None:
        self.sheet = sheet
        sheet.append([_xlsx_cell(sheet, h) for h in header])

    def write(self, row: Sequence[Any]) -> None:
        sheet = self.sheet
        sheet.append([_xlsx_cell(sheet, v) for v in row])


class XlsxOutput:
    """One workbook in write-only mode, one sheet per table."""

    def __init__(self, path: Path, stem: str) -> None:
        self.path = path
        self.book = Workbook(write_only=True)
        self.names: set[str] = set()

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        title = re.sub(r"[\[\]:*?/\\]", "_", name)[:XLSX_SHEET_MAX]
        while title in self.names:
            title = title[: XLSX_SHEET_MAX - 2] + f"_{len(self.names)}"
        self.names.add(title)
        return _XlsxTable(self.book.create_sheet(title), header)

    def close(self) -> tuple[str, str]:
        self.book.save(self.path)
        return "xlsx", CONTENT_TYPES["xlsx"]


class GeoJsonOutput:
    """A FeatureCollection; each row is (lon, lat, properties)."""

    def __init__(self, path: Path, stem: str) -> None:
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


def open_output(fmt: str, path: Path, stem: str) -> Output:
    """The writer for a format."""
    if fmt == "csv":
        return CsvOutput(path, stem)
    if fmt == "xlsx":
        return XlsxOutput(path, stem)
    return GeoJsonOutput(path, stem)
