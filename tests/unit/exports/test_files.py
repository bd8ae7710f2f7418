"""Export files: CSV injection neutralised, BOM for Excel, repeats as a ZIP, formulas stored as text in XLSX."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook

from server.exports.files import CsvOutput, GeoJsonOutput, XlsxOutput, neutralise


def test_cells_a_spreadsheet_would_run_are_neutralised():
    for hostile in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"):
        assert neutralise(hostile) == "'" + hostile
    for harmless in ("-3.5", "+86", "1e5", "马小红", "", "a=b"):
        assert neutralise(harmless) == harmless


def test_one_table_is_a_csv_with_bom_several_a_zip(tmp_path):
    single = CsvOutput(tmp_path / "one", "one")
    single.table("t", ["a", "b"]).write(["=x", None])
    assert single.close()[0] == "csv"
    assert (tmp_path / "one").read_bytes() == "\ufeffa,b\r\n'=x,\r\n".encode()
    double = CsvOutput(tmp_path / "two", "two")
    double.table("main", ["KEY"]).write(["k"])
    double.table("main-kids", ["PARENT_KEY", "KEY"]).write(["k", "k/kids[1]"])
    assert double.close()[0] == "zip"
    assert sorted(zipfile.ZipFile(tmp_path / "two").namelist()) == ["main-kids.csv", "main.csv"]


def test_xlsx_keeps_formula_text_as_text(tmp_path):
    out = XlsxOutput(tmp_path / "book", "book")
    out.table("a", ["name"]).write(["=1+1"])
    out.table("a", ["name"]).write(["bell\x07"])
    out.close()
    book = load_workbook(io.BytesIO((tmp_path / "book").read_bytes()))
    assert book.sheetnames == ["a", "a_1"]
    assert book["a"]["A2"].value == "=1+1" and book["a"]["A2"].data_type == "s"
    assert book["a_1"]["A2"].value == "bell"


def test_geojson_streams_a_feature_collection(tmp_path):
    import json

    out = GeoJsonOutput(tmp_path / "g", "g")
    table = out.table("g", [])
    table.write([113.7, 34.4, {"uuid": "a"}])
    table.write([113.8, 34.5, {"uuid": "b"}])
    out.close()
    data = json.loads((tmp_path / "g").read_text())
    assert [f["properties"]["uuid"] for f in data["features"]] == ["a", "b"]
