"""``gridreg import``: a department file from the command line, with the report printed (a fresh SQLite city)."""

from __future__ import annotations

import json

import pytest

from server import worker
from tests.conftest import TEST_KEY
from tests.imports.support import csv_bytes, id_number
from tests.support.cli import cli_environment, gridreg

MAPPING = "columns: {姓名: full_name, 身份证号: resident_id, 经度: lon, 纬度: lat}\nignore: [备注]\n"
HEADER = ["姓名", "身份证号", "经度", "纬度", "备注"]


@pytest.fixture
def city(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "_context", worker._context)  # the command configures its own
    cli_environment(tmp_path, monkeypatch, TEST_KEY, GRIDREG_DEMO="1")
    assert gridreg("demo", "load").exit_code == 0
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def _import(city, name: str, *extra: str):
    return gridreg("import", "persons", str(city / name), "--source", "police-platform",
                   "--mapping", str(city / "mapping.yaml"), *extra)


def test_import_twice_from_the_command_line(city):
    rows = [{"姓名": "马小红", "身份证号": id_number(1), "经度": "113.74", "纬度": "34.40", "备注": "x"},
            {"姓名": "阿依古丽", "身份证号": id_number(2), "经度": "113.74", "纬度": "34.40", "备注": ""}]
    (city / "p.csv").write_bytes(csv_bytes(rows, "gb18030", HEADER))
    first = _import(city, "p.csv")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output[first.output.index("{"):])
    assert (report["status"], report["encoding"], report["report"]["counts"]["created"]) == ("done", "gb18030", 2)
    again = _import(city, "p.csv", "--encoding", "gbk")
    assert json.loads(again.output[again.output.index("{"):])["report"]["counts"]["unchanged"] == 2


def test_a_refused_file_exits_with_its_code(city):
    (city / "p.xlsx").write_bytes(b"not a workbook")
    refused = _import(city, "p.xlsx")
    assert refused.exit_code != 0 and "import.not_a_workbook" in refused.output
