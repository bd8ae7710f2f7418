"""Export files written row by row to disk, so memory stays flat at any size.

CSV is Excel-safe: UTF-8 with a byte-order mark (so Excel reads Chinese
correctly) and every text cell that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) prefixed with an
apostrophe (OWASP's advice against CSV injection); a plain number such as
-3.5 is left as it is. Several tables (a form's repeats) become one ZIP of
CSV files joined by their keys, as ODK Central exports them. XLSX is
written as its XML parts (each sheet streams to its own temporary file), one
sheet per table; text is stored as inline strings, so text that would be a
formula stays text.
GeoJSON streams one Feature per line inside the FeatureCollection.
"""

from __future__ import annotations

import csv
import json
import math
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol
from xml.sax.saxutils import escape as xml_escape

from openpyxl.utils import get_column_letter

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
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


# Characters XML 1.0 cannot carry (as openpyxl's ILLEGAL_CHARACTERS_RE: dropped) and those it must escape.
_XML_TEXT = {c: None for c in (*range(0, 9), 11, 12, *range(14, 32))} | {ord("&"): "&amp;", ord("<"): "&lt;",
                                                                        ord(">"): "&gt;"}
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (f'{_HEAD}<styleSheet {_NS}><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
           '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def _xlsx_cells(letters: list[str], number: int, row: Sequence[Any]) -> str:
    """One row of sheet XML: text as inline strings (so a leading = stays text), numbers as numbers."""
    while len(letters) < len(row):
        letters.append(get_column_letter(len(letters) + 1))
    parts = [f'<row r="{number}">']
    for letter, value in zip(letters, row, strict=False):
        kind = type(value)
        if value is None:
            continue
        if kind is bool:
            parts.append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
        elif (kind is int or kind is float) and math.isfinite(value):
            parts.append(f'<c r="{letter}{number}"><v>{value!r}</v></c>')
        else:
            text = (value if kind is str else str(value)).translate(_XML_TEXT)
            parts.append(f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


class _XlsxTable:
    def __init__(self, handle: IO[str], header: Sequence[str]) -> None:
        self.handle, self.rows = handle, 0
        self.letters: list[str] = []
        handle.write(f"{_HEAD}<worksheet {_NS}><sheetData>")
        self.write(header)

    def write(self, row: Sequence[Any]) -> None:
        self.rows += 1
        self.handle.write(_xlsx_cells(self.letters, self.rows, row))


class XlsxOutput:
    """One workbook, one sheet per table, each sheet's XML streamed to its own temporary file.

    Written directly rather than through openpyxl's write-only mode, which
    builds a cell object and an lxml element for every cell: the parts here
    are the few a spreadsheet needs (content types, relationships, workbook,
    a minimal style sheet, the sheets with inline strings).
    """

    def __init__(self, path: Path, stem: str) -> None:
        self.path = path
        self.sheets: list[tuple[str, Path, IO[str]]] = []

    def table(self, name: str, header: Sequence[str]) -> TableWriter:
        names = {title for title, _, _ in self.sheets}
        title = re.sub(r"[\[\]:*?/\\]", "_", name)[:XLSX_SHEET_MAX]
        while title in names:
            title = title[: XLSX_SHEET_MAX - 2] + f"_{len(names)}"
        part = self.path.with_name(f"{self.path.name}.{len(self.sheets)}.xml")
        handle = part.open("w", encoding="utf-8")
        self.sheets.append((title, part, handle))
        return _XlsxTable(handle, header)

    def close(self) -> tuple[str, str]:
        count = len(self.sheets)
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for n in range(1, count + 1))
        sheets = "".join(f'<sheet name="{xml_escape(title, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                         for n, (title, _, _) in enumerate(self.sheets, 1))
        rels = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, count + 1))
        parts = {
            "[Content_Types].xml": (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="application/'
                f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'),
            "_rels/.rels": (
                f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            "xl/workbook.xml": f'{_HEAD}<workbook {_NS} xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>',
            "xl/_rels/workbook.xml.rels": (
                f'{_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
            "xl/styles.xml": _STYLES,
        }
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in parts.items():
                archive.writestr(name, text)
            for n, (_, part, handle) in enumerate(self.sheets, 1):
                handle.write("</sheetData></worksheet>")
                handle.close()
                archive.write(part, f"xl/worksheets/sheet{n}.xml")
                part.unlink()
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
