"""``gridreg import``: a department file from the command line, with the report printed (a fresh SQLite city)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from server import worker
from server.cli import main
from tests.conftest import TEST_KEY
from tests.imports.support import csv_bytes, id_number

MAPPING = "columns: {姓名: full_name, 身份证号: resident_id, 经度: lon, 纬度: lat}\nignore: [备注]\n"
HEADER = ["姓名", "身份证号", "经度", "纬度", "备注"]


@pytest.fixture
def city(tmp_path, monkeypatch):
    values = {"GRIDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "GRIDREG_MEDIA_ROOT": str(tmp_path),
              "GRIDREG_SECRET_KEY": "s", "GRIDREG_ENCRYPTION_KEY": TEST_KEY, "GRIDREG_LOG_FORMAT": "text",
              "GRIDREG_DEMO": "1"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in ("GRIDREG_REDIS_URL", "GRIDREG_ENCRYPTION_KEYS_OLD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(worker, "_context", worker._context)  # the command configures its own
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    assert CliRunner().invoke(main, ["demo", "load"]).exit_code == 0
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def _import(city, name: str, *extra: str):
    return CliRunner().invoke(main, ["import", "persons", str(city / name), "--source", "police-platform",
                                     "--mapping", str(city / "mapping.yaml"), *extra])


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
