"""The gridreg command against a real database file."""

from __future__ import annotations

import json

from tests.support.cli import city_units_file, gridreg


def test_demo_refused_outside_demo_mode(cli_env):
    result = gridreg("demo", "load")
    assert result.exit_code != 0 and "GRIDREG_DEMO=1" in result.output


def test_geo_import_and_users(cli_env, tmp_path):
    path = city_units_file(tmp_path)
    result = gridreg("geo", "import", str(path))
    assert result.exit_code == 0, result.output
    again = gridreg("geo", "import", str(path))
    assert again.exit_code != 0 and "already exists" in again.output and "features[0]" in again.output

    created = gridreg("users", "create", "zhang", "--role", "supervisor", "--unit", "410184",
                      input="long-password\nlong-password\n")
    assert created.exit_code == 0, created.output
    assert "zhang\tsupervisor\t410184\tactive" in gridreg("users", "list").output
    assert gridreg("users", "disable", "zhang").exit_code == 0
    assert "zhang\tsupervisor\t410184\tdisabled" in gridreg("users", "list").output


def test_geo_import_rejects_non_json(cli_env, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_bytes(b"\x00\x01 not json")
    result = gridreg("geo", "import", str(path))
    assert result.exit_code != 0 and "geo.invalid_file" in result.output


def test_department_token_command(cli_env, tmp_path):
    gridreg("users", "create", "police", "--role", "admin", input="long-password\nlong-password\n")
    result = gridreg("users", "token", "police", "--label", "x")
    assert result.exit_code != 0 and "department" in result.output


def test_missing_settings_are_reported(monkeypatch):
    for key in ("GRIDREG_DATABASE_URL", "GRIDREG_MEDIA_ROOT", "GRIDREG_SECRET_KEY", "GRIDREG_ENCRYPTION_KEY",
                "GRIDREG_DEMO"):
        monkeypatch.delenv(key, raising=False)
    result = gridreg("db", "upgrade")
    assert result.exit_code != 0 and "GRIDREG_DATABASE_URL is required" in result.output


def test_forms_load_applies_the_declarations_idempotently(cli_env, tmp_path):
    import shutil

    from server.domain.datasets import DEFAULT_PATH

    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    shutil.copy(DEFAULT_PATH, forms_dir / "datasets.yaml")
    first = gridreg("forms", "load", str(forms_dir))
    assert first.exit_code == 0, first.output
    assert "dataset persons\tversion 1\tchanged" in first.output
    again = gridreg("forms", "load", str(forms_dir))
    assert "dataset persons\tversion 1\tunchanged" in again.output
    text = (forms_dir / "datasets.yaml").read_text(encoding="utf-8")
    (forms_dir / "datasets.yaml").write_text(text.replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    broken = gridreg("forms", "load", str(forms_dir))
    assert broken.exit_code != 0 and "registry.declaration_refused" in broken.output and "version" in broken.output


def test_audit_list_filters_like_the_api(cli_env, tmp_path):
    gridreg("users", "create", "boss", "--role", "admin", input="long-password\nlong-password\n")
    gridreg("users", "create", "boss2", "--role", "admin", input="long-password\nlong-password\n")
    gridreg("users", "disable", "boss2")
    listed = gridreg("audit", "list", "--action", "user.*")
    assert listed.exit_code == 0, listed.output
    actions = [json.loads(line)["action"] for line in listed.output.splitlines()]
    assert actions == ["user.disable", "user.create", "user.create"]
    page = gridreg("audit", "list", "--action", "user.create", "--limit", "1")
    lines = [json.loads(line) for line in page.output.splitlines()]
    assert lines[0]["detail"]["username"] == "boss2" and "next_cursor" in lines[1]
    rest = gridreg("audit", "list", "--action", "user.create", "--cursor", lines[1]["next_cursor"])
    assert [json.loads(line)["detail"]["username"] for line in rest.output.splitlines()] == ["boss"]
    assert gridreg("audit", "list", "--since", "2026-12-01T00:00:00").exit_code != 0  # no offset
    assert gridreg("audit", "list", "--since", "2999-01-01T00:00:00+08:00").output == ""
    assert "request.bad_cursor" in gridreg("audit", "list", "--cursor", "!!").output


def test_worker_refuses_unknown_queues(cli_env, monkeypatch):
    from tests.conftest import REDIS_URL

    monkeypatch.setenv("GRIDREG_REDIS_URL", REDIS_URL)
    result = gridreg("worker", "--queues", "validation,merge,nonsense")
    assert result.exit_code != 0 and "unknown queue(s): nonsense" in result.output
