"""Reading a file as a table: what it really is, its encoding, its rows (no database)."""

from __future__ import annotations

import io
import zipfile

import pytest

from server.errors import RuleViolation
from server.imports import files
from tests.imports.support import csv_bytes, xlsx_bytes

ROWS = [{"full_name": "马小红", "grid": "1"}, {"full_name": "阿依古丽", "grid": "2"}]


def _code(data: bytes, filename: str = "f.csv", encoding: str | None = None) -> tuple[str, dict]:
    with pytest.raises(RuleViolation) as caught:
        files.read_table(data, filename, encoding)
    assert caught.value.status == 422
    return caught.value.code, caught.value.errors


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-16", "utf-16")])
def test_each_encoding_is_detected_and_names_survive(encoding, detected):
    table = files.read_table(csv_bytes(ROWS, encoding), "f.csv")
    assert (table.encoding, table.headers, table.rows) == (detected, ["full_name", "grid"],
                                                           [["马小红", "1"], ["阿依古丽", "2"]])


def test_a_named_encoding_is_used_and_a_wrong_one_refused_with_the_line():
    data = csv_bytes(ROWS, "gb18030")
    assert files.read_table(data, "f.csv", "GBK").rows[0][0] == "马小红"
    assert _code(data, encoding="utf-8") == ("import.bad_encoding", {"rows": [2], "encoding": ["utf-8"]})
    assert _code(data, encoding="latin-9")[0] == "import.unknown_encoding"


def test_mixed_encodings_are_refused_with_the_lines():
    data = csv_bytes(ROWS[:1], "utf-8") + "阿依古丽,2\r\n".encode("gb18030")
    assert _code(data) == ("import.mixed_encoding", {"rows": [3], "utf8_rows": [2]})


def test_tabs_and_semicolons_delimit_too():
    assert files.read_table("full_name\tgrid\r\n马小红\t1\r\n".encode(), "f.txt").rows == [["马小红", "1"]]
    assert files.read_table("full_name;grid\n马小红;1\n".encode(), "f.csv").rows == [["马小红", "1"]]


def test_xlsx_cells_read_as_text():
    table = files.read_table(xlsx_bytes([{"full_name": "马小红", "arrival_date": "2026-03-01", "n": 3.0}]), "f.xlsx")
    assert table.rows == [["马小红", "2026-03-01", "3"]] and table.file_format == "xlsx"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"", "f.csv", "import.empty_file"),
    (b"\r\n\r\n", "f.csv", "import.empty_file"),
    (b"full_name,grid\r\n\x00\x01\x02\x03binary", "f.csv", "import.not_text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "f.csv", "import.not_text"),
    (csv_bytes(ROWS), "f.xlsx", "import.not_a_workbook"),
    (_zip(), "f.xlsx", "import.not_a_workbook"),
    (_zip(), "f.csv", "import.not_text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "f.xls", "import.unsupported_format"),
    (b"full_name\r\n\"unterminated", "f.csv", None),
])
def test_a_file_that_is_not_what_it_claims_is_refused(data, filename, code):
    if code is None:  # csv's reader takes an unterminated quote to the end of the file: one odd row, not a crash
        assert files.read_table(data, filename).rows == [["unterminated"]]
        return
    assert _code(data, filename)[0] == code


def test_blank_rows_at_the_end_are_dropped_and_row_numbers_are_the_spreadsheets():
    table = files.read_table(b"full_name\r\na\r\n\r\nb\r\n,\r\n\r\n", "f.csv")
    assert list(files.iter_rows(table)) == [(2, ["a"]), (3, []), (4, ["b"])]
