"""The deployment files parse, and every command they name exists in the package."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner

from server.cli import main

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def _commands():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    assert {"postgis", "redis", "web", "worker", "scheduler"} <= set(compose["services"])
    for name, service in compose["services"].items():
        if "command" in service and name not in ("redis",):
            yield name, service["command"]
    for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("CMD "):
            yield "Dockerfile", __import__("json").loads(line[4:])


def test_compose_and_dockerfile_commands_exist():
    seen = set()
    for name, command in _commands():
        argv = command if isinstance(command, list) else shlex.split(command)
        seen.add(argv[0])
        if argv[0] == "gridreg":
            # --help fails if any sub-command or option on the line is unknown
            result = CliRunner().invoke(main, [*argv[1:], "--help"])
            assert result.exit_code == 0, f"{name}: {argv}: {result.output}"
        elif argv[0] == "gunicorn":
            target = argv[-1]
            module, _, attr = target.partition(":")
            assert module == "server.wsgi" and attr == "app"
            assert (Path(__file__).resolve().parents[2] / "server" / "wsgi.py").exists()
        else:
            raise AssertionError(f"{name} runs an unknown program {argv[0]}")
    assert {"gridreg", "gunicorn"} <= seen


def test_compose_passes_the_settings_production_needs():
    """Every GRIDREG_* variable compose sets is one the settings read, and key rotation can reach the containers."""
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    environment = compose["x-gridreg"]["environment"]
    settings_source = (Path(__file__).resolve().parents[2] / "server" / "settings.py").read_text(encoding="utf-8")
    for name in environment:
        assert f'"{name}"' in settings_source, f"compose sets {name}, which no setting reads"
    assert {"GRIDREG_SECRET_KEY", "GRIDREG_ENCRYPTION_KEY", "GRIDREG_ENCRYPTION_KEYS_OLD"} <= set(environment)
