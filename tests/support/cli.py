"""The ``gridreg`` command run in-process against a fresh SQLite city in a temporary folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from server.cli import main
from server.domain.datasets import DEFAULT_PATH

# One township-sized city unit, enough for the commands that need a geography.
CITY_UNITS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "410184", "name": "新郑市", "level": "city"},
     "geometry": {"type": "Polygon", "coordinates": [[[113.6, 34.3], [113.9, 34.3], [113.9, 34.5],
                                                      [113.6, 34.5], [113.6, 34.3]]]}}]}


def gridreg(*args: str, input: str | None = None) -> Result:
    """Run ``gridreg ARGS`` in this process."""
    return CliRunner().invoke(main, list(args), input=input)


def cli_environment(folder: Path, monkeypatch: pytest.MonkeyPatch, key: str, **extra: str) -> dict[str, str]:
    """GRIDREG_* for a migrated SQLite file in ``folder`` (no Redis, no retired keys, no demo unless ``extra``)."""
    values = {"GRIDREG_DATABASE_URL": f"sqlite:///{folder / 'cli.sqlite'}", "GRIDREG_MEDIA_ROOT": str(folder),
              "GRIDREG_SECRET_KEY": "s", "GRIDREG_ENCRYPTION_KEY": key, "GRIDREG_LOG_FORMAT": "text", **extra}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("GRIDREG_DEMO", "GRIDREG_REDIS_URL", "GRIDREG_ENCRYPTION_KEYS_OLD"):
        if name not in values:
            monkeypatch.delenv(name, raising=False)
    upgraded = gridreg("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    return values


def city_units_file(folder: Path) -> Path:
    """CITY_UNITS written as a GeoJSON file in ``folder``."""
    path = folder / "units.geojson"
    path.write_text(json.dumps(CITY_UNITS), encoding="utf-8")
    return path


def load_city_declarations(folder: Path) -> Result:
    """``gridreg forms load`` of the city's dataset declarations alone (without its workbooks)."""
    declarations = folder / "declarations"
    declarations.mkdir()
    shutil.copy(DEFAULT_PATH, declarations / "datasets.yaml")
    return gridreg("forms", "load", str(declarations))
