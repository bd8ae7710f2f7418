"""``gridreg reports monthly`` against a real database file."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from server.cli import main
from server.domain.datasets import DEFAULT_PATH
from tests.core.test_cli import env  # noqa: F401  (fixture)


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_monthly_runs_by_hand_with_revisions_and_refuses_bad_periods(env, tmp_path):  # noqa: F811
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "410184", "name": "新郑市", "level": "city"},
         "geometry": {"type": "Polygon", "coordinates": [[[113.6, 34.3], [113.9, 34.3], [113.9, 34.5],
                                                          [113.6, 34.5], [113.6, 34.3]]]}}]}
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    assert _run("geo", "import", str(path)).exit_code == 0
    declarations = tmp_path / "declarations"  # the city's datasets, without its workbooks
    declarations.mkdir()
    shutil.copy(DEFAULT_PATH, declarations / "datasets.yaml")
    assert _run("forms", "load", str(declarations)).exit_code == 0
    first = _run("reports", "monthly", "--period", "2026-11")
    assert first.exit_code == 0, first.output
    assert "2026-11 410184 revision 1 (final): 1 units, 0 persons present" in first.output
    assert "monthly report 2026-11" in first.output  # the progress bar's label
    second = _run("reports", "monthly", "--period", "2026-11", "--unit", "410184")
    assert second.exit_code == 0 and "revision 2" in second.output
    malformed = _run("reports", "monthly", "--period", "2026-13")
    assert malformed.exit_code != 0 and "report.period_malformed" in malformed.output
    future = _run("reports", "monthly", "--period", "2999-12")
    assert future.exit_code != 0 and "report.period_not_begun" in future.output
    unknown = _run("reports", "monthly", "--period", "2026-11", "--unit", "999")
    assert unknown.exit_code != 0 and "report.unit_not_found" in unknown.output
