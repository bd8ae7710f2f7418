"""``gridreg reports monthly`` against a real database file."""

from __future__ import annotations

from tests.support.cli import city_units_file, gridreg, load_city_declarations


def test_monthly_runs_by_hand_with_revisions_and_refuses_bad_periods(cli_env, tmp_path):
    path = city_units_file(tmp_path)
    assert gridreg("geo", "import", str(path)).exit_code == 0
    assert load_city_declarations(tmp_path).exit_code == 0
    first = gridreg("reports", "monthly", "--period", "2026-11")
    assert first.exit_code == 0, first.output
    assert "2026-11 410184 revision 1 (final): 1 units, 0 persons present" in first.output
    assert "monthly report 2026-11" in first.output  # the progress bar's label
    second = gridreg("reports", "monthly", "--period", "2026-11", "--unit", "410184")
    assert second.exit_code == 0 and "revision 2" in second.output
    malformed = gridreg("reports", "monthly", "--period", "2026-13")
    assert malformed.exit_code != 0 and "report.period_malformed" in malformed.output
    future = gridreg("reports", "monthly", "--period", "2999-12")
    assert future.exit_code != 0 and "report.period_not_begun" in future.output
    unknown = gridreg("reports", "monthly", "--period", "2026-11", "--unit", "999")
    assert unknown.exit_code != 0 and "report.unit_not_found" in unknown.output
