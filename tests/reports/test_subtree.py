"""A township's own run counts exactly what the city's run counts for it, people who crossed its border included."""

from __future__ import annotations

from datetime import UTC, datetime

from server.reports.service import run_monthly
from tests.reports.conftest import FAR_POINT, VISIT, Registry
from tests.reports.test_service import AFTER_DUE, _fill


def _cross_borders(r: Registry) -> None:
    """People whose records lie in two townships (period 2026-10-26 .. 2026-11-25; 90 days back is 2026-08-27)."""
    w, f, led = r.worker_grid, r.far_grid, r.ledger
    # Visited in the worker's township inside the 90 days, then seen in the far one on a visit dated before them:
    # only the visit recorded in the township they left shows they were seen.
    seen = r.person("邻镇走访", "2026-07-01")
    r.visit(seen, "2026-09-15")
    r.merge(VISIT, {"person": seen, "visit_date": "2026-08-20", "visit_type": "home"}, point=FAR_POINT,
            username="far_worker", received_at=datetime(2026, 10, 1, 2, 0, tzinfo=UTC))
    led.note("persons_present", f)
    # Moved out of the worker's township during the period.
    leaver = r.person("迁出者", "2026-09-01")
    r.visit(leaver, "2026-11-12", point=FAR_POINT, username="far_worker")
    led.moves.append((w, f)), led.note("visits", f), led.note("persons_present", f)


def test_a_township_run_equals_the_city_run_for_its_units(db, settings, registry):
    _fill(registry)
    _cross_borders(registry)
    city = {row.unit_code: row.figures for row in run_monthly(db, settings, "2026-11", now=AFTER_DUE)}
    for grid in (registry.far_grid, registry.worker_grid):
        assert city[grid]["persons_present"] == registry.ledger.count("persons_present", grid)
        assert city[grid]["transfers_in"] == registry.ledger.count("transfers_in", grid)
        assert city[grid]["visits"] == registry.ledger.count("visits", grid)
    assert city[registry.far_grid]["not_visited_90d"] == registry.ledger.count("not_visited_90d", registry.far_grid)
    for township in (registry.worker_grid[:9], registry.far_grid[:9]):
        own = {row.unit_code: row.figures for row in run_monthly(db, settings, "2026-11", now=AFTER_DUE,
                                                                   unit_code=township)}
        assert own and all(code.startswith(township) for code in own)
        for code, figures in own.items():
            assert figures == city[code], code
