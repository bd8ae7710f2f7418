"""Reading an uploaded file as a table: what it really is, its encoding, its header and rows.

A file is judged by its bytes, not its name: a zip is read as a workbook
(openpyxl), anything else must be text. Text from Windows department systems
comes as UTF-8 (often with a BOM) or GBK/GB18030 about equally often, so the
encoding is: the one the caller names, else the BOM's, else UTF-8 if the
whole file decodes strictly, else GB18030 (a superset of GBK) — unless some
lines are valid UTF-8 with non-ASCII text while others are not, which is a
file pasted together from two encodings and is refused with the line numbers
rather than garbling half its names. Row numbers are the spreadsheet's: the
header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from server.errors import RuleViolation

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030",
             "gb18030": "gb18030", "utf-16": "utf-16"}
_SHOWN_LINES = 20


@dataclass(frozen=True)
class Table:
    """A file's header and its rows as text cells, with the format and encoding it was read in."""

    file_format: str  # csv | xlsx
    encoding: str | None
    headers: list[str]
    rows: list[list[str]]  # record rows in file order; row i is the file's row i + 2

    @property
    def total(self) -> int:
        """How many record rows the file holds."""
        return len(self.rows)


def _refuse(code: str, message: str, message_zh: str, **errors: Any) -> RuleViolation:
    return RuleViolation(message, code=code, message_zh=message_zh, errors=errors)


def sniff_format(data: bytes, filename: str) -> str:
    """csv or xlsx, from the bytes; a name that claims another format than the bytes is refused."""
    name = filename.lower()
    if not data:
        raise _refuse("import.empty_file", "the file is empty", "文件为空", file=["0 bytes"])
    if data.startswith(OLE_MAGIC):
        raise _refuse("import.unsupported_format", "old .xls workbooks are not supported: save as .xlsx or CSV",
                      "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV", file=["xls"])
    if data.startswith(ZIP_MAGIC):
        if name.endswith((".csv", ".txt")):
            raise _refuse("import.not_text", "the file is named CSV but is a zip archive",
                          "文件名为 CSV，内容却是压缩包", file=["zip"])
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise _refuse("import.not_a_workbook", "the file is named .xlsx but is not an Excel workbook",
                      "文件名为 .xlsx，内容却不是 Excel 工作簿", file=["not a zip"])
    return "csv"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _encoding_error(data: bytes, encoding: str, exc: UnicodeDecodeError) -> RuleViolation:
    line = _line_of(data, exc.start)
    return _refuse("import.bad_encoding", f"line {line} is not valid {encoding}",
                   f"第 {line} 行不是有效的 {encoding} 编码", rows=[line], encoding=[encoding])


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the encoding it was read in (see the module docstring)."""
    if encoding:
        name = ENCODINGS.get(encoding.strip().lower())
        if name is None:
            raise _refuse("import.unknown_encoding", f"unknown encoding {encoding!r}", "不支持该编码",
                          encoding=[encoding])
        try:
            return data.decode(name).removeprefix("\ufeff"), name
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, name, exc) from exc
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, "utf-8", exc) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").removeprefix("\ufeff"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, "utf-16", exc) from exc
    if b"\x00" in data[:65536]:
        raise _refuse("import.not_text", "the file is binary, not CSV text", "文件是二进制内容，不是 CSV 文本",
                      file=["binary"])
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    _refuse_mixed(data)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, "gb18030", exc) from exc


def _refuse_mixed(data: bytes) -> None:
    """Refuse a file whose lines are in two encodings: some UTF-8 text, some not."""
    utf8: list[int] = []
    other: list[int] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(number)
        except UnicodeDecodeError:
            other.append(number)
    if utf8 and other:
        raise _refuse("import.mixed_encoding", "the file mixes UTF-8 lines with lines in another encoding",
                      "文件中混有 UTF-8 与其他编码的行，请统一编码后再导入",
                      rows=other[:_SHOWN_LINES], utf8_rows=utf8[:_SHOWN_LINES])


def _csv_rows(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise _refuse("import.bad_csv", f"the CSV cannot be read: {exc}", "CSV 文件格式有误", file=[str(exc)]) from exc


def _cell(value: Any) -> str:
    """A workbook cell as text: dates as ISO dates, integral numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _refuse("import.not_a_workbook", "the file is a zip archive but not an Excel workbook",
                      "文件不是有效的 Excel 工作簿", file=[type(exc).__name__]) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _refuse("import.not_a_workbook", "the workbook cannot be read", "Excel 工作簿无法读取",
                      file=[type(exc).__name__]) from exc
    finally:
        workbook.close()


def read_table(data: bytes, filename: str, encoding: str | None = None) -> Table:
    """The file as a table, or a 422 saying what the file really is."""
    file_format = sniff_format(data, filename)
    if file_format == "xlsx":
        rows, used = _xlsx_rows(data), None
    else:
        text, used = decode(data, encoding)
        rows = _csv_rows(text)
    rows = _trim(rows)
    if not rows:
        raise _refuse("import.empty_file", "the file has no header row", "文件没有表头行", file=["no header"])
    return Table(file_format, used, [h.strip() for h in rows[0]], rows[1:])


def _trim(rows: list[list[str]]) -> list[list[str]]:
    """Without trailing blank rows (spreadsheets keep formatted empty rows); blank rows inside stay."""
    end = len(rows)
    while end and not any(cell.strip() for cell in rows[end - 1]):
        end -= 1
    return rows[:end]


def iter_rows(table: Table, start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(file row number, cells) for the table's record rows from index ``start``."""
    for index in range(start, len(table.rows)):
        yield index + 2, table.rows[index]
