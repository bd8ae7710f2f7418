"""The streaming XLSX writer: what openpyxl reads back is what was written, in both of its reading modes."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from server.exports.xlsx import Workbook, column_letter

ROWS = [
    ["name", "count", "note"],
    ["马小红", 3, "a & b <c> \"d\" 'e'"],
    ["=SUM(A1:A2)", -2.5, "  padded  "],
    [None, True, "bell\x07 and tab\t"],
    ["line\nbreak", Decimal("1.25"), None],
    ["only one cell"],
]
EXPECTED = [
    ("name", "count", "note"),
    ("马小红", 3, "a & b <c> \"d\" 'e'"),
    ("=SUM(A1:A2)", -2.5, "  padded  "),
    (None, True, "bell and tab\t"),
    ("line\nbreak", 1.25, None),
    ("only one cell", None, None),
]


@pytest.mark.parametrize("read_only", [False, True])
def test_rows_read_back_as_written(tmp_path, read_only):
    book = Workbook(tmp_path / "book.xlsx")
    sheet = book.add_sheet("persons & co")
    for row in ROWS:
        sheet.write(row)
    book.add_sheet("empty")
    book.save()
    read = load_workbook(tmp_path / "book.xlsx", read_only=read_only)
    assert read.sheetnames == ["persons & co", "empty"]
    assert list(read["persons & co"].iter_rows(values_only=True)) == EXPECTED
    if not read_only:
        formula = read["persons & co"]["A3"]
        assert formula.data_type == "s" and formula.value == "=SUM(A1:A2)"  # text, never run
    assert list(read["empty"].iter_rows(values_only=True)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # the sheets' files are gone


def test_the_package_declares_its_size_and_parts(tmp_path):
    book = Workbook(tmp_path / "book.xlsx")
    sheet = book.add_sheet("a")
    for row in ROWS:
        sheet.write(row)
    book.save()
    with zipfile.ZipFile(tmp_path / "book.xlsx") as archive:
        assert archive.namelist()[0] == "[Content_Types].xml"
        assert '<dimension ref="A1:C6"/>' in archive.read("xl/worksheets/sheet1.xml").decode()


def test_a_workbook_without_tables_still_has_a_sheet(tmp_path):
    book = Workbook(tmp_path / "book.xlsx")
    book.save()
    assert load_workbook(tmp_path / "book.xlsx").sheetnames == ["Sheet1"]


def test_discard_leaves_nothing(tmp_path):
    book = Workbook(tmp_path / "book.xlsx")
    book.add_sheet("a").write(["x"])
    book.discard()
    assert list(tmp_path.iterdir()) == []


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]
