"""``gridreg export`` from the command line: the same export, scoped to the named account, with a progress bar."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.cli import gridreg, load_city_declarations


@pytest.fixture
def city(cli_env, tmp_path):
    """A migrated city with its dataset declarations and an admin, chief, to export as."""
    loaded = load_city_declarations(tmp_path)
    assert loaded.exit_code == 0, loaded.output
    made = gridreg("users", "create", "chief", "--role", "admin", "--password", "pw-123456789")
    assert made.exit_code == 0, made.output
    return tmp_path


def test_export_command_writes_the_file_and_reports_rows(city):
    out = city / "persons.csv"
    done = gridreg("export", "dataset", "persons", "--as", "chief", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert "0 rows" in done.output
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert header[:3] == ["uuid", "label", "version"] and "resident_id" in header


def test_export_command_refuses_what_it_does_not_know(city):
    bad = gridreg("export", "dataset", "aliens", "--as", "chief")
    assert bad.exit_code != 0 and "export.unknown_name" in bad.output
    nobody = gridreg("export", "dataset", "persons", "--as", "nobody")
    assert nobody.exit_code != 0 and "no user nobody" in nobody.output
