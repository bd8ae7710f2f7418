"""``gridreg export`` from the command line: the same export, scoped to the named account, with a progress bar."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from click.testing import CliRunner

from server.cli import main
from server.domain.datasets import DEFAULT_PATH
from tests.conftest import TEST_KEY


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    values = {"GRIDREG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "GRIDREG_MEDIA_ROOT": str(tmp_path),
              "GRIDREG_SECRET_KEY": "s", "GRIDREG_ENCRYPTION_KEY": TEST_KEY, "GRIDREG_LOG_FORMAT": "text"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in ("GRIDREG_DEMO", "GRIDREG_REDIS_URL", "GRIDREG_ENCRYPTION_KEYS_OLD"):
        monkeypatch.delenv(key, raising=False)
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    declarations = tmp_path / "declarations"  # the city's datasets, without its workbooks
    declarations.mkdir()
    shutil.copy(DEFAULT_PATH, declarations / "datasets.yaml")
    loaded = CliRunner().invoke(main, ["forms", "load", str(declarations)])
    assert loaded.exit_code == 0, loaded.output
    made = CliRunner().invoke(main, ["users", "create", "chief", "--role", "admin", "--password", "pw-123456789"])
    assert made.exit_code == 0, made.output
    return tmp_path


def test_export_command_writes_the_file_and_reports_rows(cli_env):
    out = cli_env / "persons.csv"
    done = CliRunner().invoke(main, ["export", "dataset", "persons", "--as", "chief", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "0 rows" in done.output
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert header[:3] == ["uuid", "label", "version"] and "resident_id" in header


def test_export_command_refuses_what_it_does_not_know(cli_env):
    bad = CliRunner().invoke(main, ["export", "dataset", "aliens", "--as", "chief"])
    assert bad.exit_code != 0 and "export.unknown_name" in bad.output
    nobody = CliRunner().invoke(main, ["export", "dataset", "persons", "--as", "nobody"])
    assert nobody.exit_code != 0 and "no user nobody" in nobody.output
