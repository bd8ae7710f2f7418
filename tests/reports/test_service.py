"""The monthly report's counts equal those the test keeps from its own submissions; revisions keep history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.errors import NotFoundError, RuleViolation
from server.reports.models import MonthlyReport
from server.reports.service import diff, run_monthly
from tests.reports.conftest import FAR_POINT, VISIT, Registry

AFTER_DUE = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 on the 26th in Shanghai: 2026-11 is due
FIGURES = ("persons_present", "arrivals", "departures", "transfers_in", "transfers_out", "visits",
           "not_visited_90d", "school_age_not_in_school", "cases_new", "cases_resolved", "cases_overdue",
           "services", "people_served")


def _fill(r: Registry) -> None:
    """Period 2026-11 runs 2026-10-26 .. 2026-11-25; each line notes what it should count."""
    w, n, f, led = r.worker_grid, r.neighbour_grid, r.far_grid, r.ledger

    def present(grid: str, sex: str = "2", eth: str = "03") -> None:
        led.note("persons_present", grid)
        led.note(f"sex:{sex}", grid)
        led.note(f"eth:{eth}", grid)

    newcomer = r.person("新来者", "2026-11-03")
    led.note("arrivals", w), present(w)
    r.visit(newcomer, "2026-11-15")
    led.note("visits", w)

    mover = r.person("搬迁者", "2026-09-01")
    r.case(mover, "2026-11-01")  # opened where the person lived; it moves along while open
    led.note("cases_new", w), led.note("kind:appeal", w), led.note("department:hrss", w)
    r.visit(mover, "2026-11-10", point=r.neighbour_point, username="neighbour")  # a move between grids
    led.moves.append((w, n)), led.note("visits", n), present(n)

    back = r.person("返回者", "2026-08-01")
    r.depart(back, "2026-11-05")
    led.note("departures", w)
    r.visit(back, "2026-11-20")  # seen again: a return to the same grid
    led.note("arrivals", w), led.note("visits", w), present(w)

    gone = r.person("离开者", "2026-06-01")
    r.depart(gone, "2026-11-12")
    led.note("departures", w)

    r.person("远方者", "2026-07-01", point=FAR_POINT, username="far_worker")
    present(f), led.note("not_visited_90d", f)

    quiet = r.person("久未走访", "2026-05-01", sex="1", ethnicity="05")
    present(w, "1", "05"), led.note("not_visited_90d", w)
    r.case(quiet, "2026-10-01", kind="dispute", department="justice", due_date="2026-10-20")
    led.note("cases_overdue", w)  # opened before the period: overdue, not new
    r.case(quiet, "2026-11-02", kind="relief", department="civil", due_date="2026-11-05", status="resolved",
           resolved_date="2026-11-18")
    led.note("cases_new", w), led.note("kind:relief", w), led.note("department:civil", w)
    led.note("cases_resolved", w)

    for name, born, enrolment, counted in [
        ("小明", "2015-03-01", "not_enrolled", True),
        ("小红", "2016-05-01", "enrolled", False),
        ("大明", "2009-01-01", "dropped_out", False),  # 17: past school age
        ("六岁", "2020-11-25", "not_enrolled", True),  # turns 6 on the last day
        ("满十六", "2010-11-25", "dropped_out", False),  # turns 16 on the last day
    ]:
        r.child(newcomer, name, born, enrolment, "2026-10-28")
        led.note("arrivals", w), present(w, "1")
        if counted:
            led.note("school_age_not_in_school", w)

    r.service("2026-11-09", 3)
    led.note("services", w), led.note("people_served", w, 3)
    r.service("2026-10-20", 5)  # before the period
    r.service("2026-11-25", 2, "legal_publicity")  # its last day
    led.note("services", w), led.note("people_served", w, 2)


def _units(r: Registry) -> list[str]:
    w = r.worker_grid
    return [w, r.neighbour_grid, r.far_grid, w[:12], w[:9], r.far_grid[:9], "410184"]


def _check(r: Registry, rows: dict[str, MonthlyReport]) -> None:
    for unit in _units(r):
        figures = rows[unit].figures
        expected = {name: r.ledger.count(name, unit) for name in FIGURES}
        assert {name: figures[name] for name in FIGURES} == expected, unit
        for breakdown, prefix in (("persons_present_by_sex", "sex:"), ("persons_present_by_ethnicity", "eth:"),
                                  ("cases_new_by_kind", "kind:"), ("cases_new_by_department", "department:")):
            keys = {k.removeprefix(prefix) for k in r.ledger.entries if k.startswith(prefix)}
            wanted = {k: r.ledger.count(prefix + k, unit) for k in keys}
            assert figures[breakdown] == {k: v for k, v in wanted.items() if v}, (unit, breakdown)


def test_counts_equal_the_submissions_and_a_late_one_makes_a_new_revision(db, settings, registry):
    _fill(registry)
    first = {row.unit_code: row for row in run_monthly(db, settings, "2026-11", now=AFTER_DUE)}
    assert first["410184"].revision == 1 and not first["410184"].provisional and first["410184"].changes is None
    _check(registry, first)
    assert first["410184"].figures["services_by_type"] == {"policy": 1, "legal_publicity": 1}
    township = first[registry.worker_grid[:9]]
    assert {c["unit"]["code"] for c in township.children} >= {registry.worker_grid[:12]}
    assert all(c["unit"]["level"] == "community" for c in township.children)
    published = {code: dict(row.figures) for code, row in first.items()}

    # After the period: a late registration dated inside it, and a late visit.
    r, w = registry, registry.worker_grid
    r.person("迟报者", "2026-11-20", received="2026-11-27")
    r.ledger.note("arrivals", w), r.ledger.note("persons_present", w), r.ledger.note("sex:2", w)
    r.ledger.note("eth:03", w)
    # the stored revision is not touched by them
    stored = {row.unit_code: row.figures for row in db.scalars(select(MonthlyReport))}
    assert stored == published

    second = {row.unit_code: row for row in run_monthly(db, settings, "2026-11",
                                                        now=datetime(2026, 11, 28, 2, 0, tzinfo=UTC))}
    _check(registry, second)
    assert second[w].revision == 2
    assert second[w].changes["arrivals"] == [published[w]["arrivals"], published[w]["arrivals"] + 1]
    assert second[w].changes["persons_present_by_ethnicity.03"][1] == published[w]["persons_present_by_ethnicity"][
        "03"] + 1
    assert second[registry.far_grid].changes == {}
    first_again = db.scalar(select(MonthlyReport).where(MonthlyReport.unit_code == w, MonthlyReport.revision == 1))
    assert first_again is not None and first_again.figures == published[w]


def test_a_late_visit_changes_who_was_not_visited(db, settings, registry):
    quiet = registry.person("久未走访", "2026-05-01")
    registry.person("也未走访", "2026-06-01")
    before = {r.unit_code: r for r in run_monthly(db, settings, "2026-11", now=AFTER_DUE)}
    assert before[registry.worker_grid].figures["not_visited_90d"] == 2
    registry.merge(  # a visit on the 24th, submitted after the period
        VISIT,
        {"person": quiet, "visit_date": "2026-11-24", "visit_type": "home"},
        point=None, received_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    after = {r.unit_code: r for r in run_monthly(db, settings, "2026-11", now=AFTER_DUE)}
    assert after[registry.worker_grid].figures["not_visited_90d"] == 1
    assert after[registry.worker_grid].changes == {"not_visited_90d": [2, 1], "visits": [0, 1]}


def test_one_township_counts_only_its_units(db, settings, registry):
    _fill(registry)
    township = registry.worker_grid[:9]
    rows = {row.unit_code: row for row in run_monthly(db, settings, "2026-11", now=AFTER_DUE, unit_code=township)}
    assert all(code.startswith(township) for code in rows)
    for unit in (registry.worker_grid, registry.neighbour_grid, registry.worker_grid[:12], township):
        assert rows[unit].figures["persons_present"] == registry.ledger.count("persons_present", unit)
        assert rows[unit].figures["transfers_out"] == registry.ledger.count("transfers_out", unit)


def test_the_running_period_is_provisional_and_a_future_one_is_refused(db, settings, registry):
    running = run_monthly(db, settings, "2026-12", now=datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert running[0].provisional and running[0].unit_code == "410184"
    with pytest.raises(RuleViolation) as caught:
        run_monthly(db, settings, "2027-01", now=datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert caught.value.code == "report.period_not_begun"
    with pytest.raises(RuleViolation) as caught:
        run_monthly(db, settings, "2026-1", now=datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert caught.value.code == "report.period_malformed"
    with pytest.raises(NotFoundError):
        run_monthly(db, settings, "2026-11", now=AFTER_DUE, unit_code="999999")


def test_diff_names_each_changed_figure_and_breakdown_key():
    assert diff({"arrivals": 1, "by": {"01": 2, "03": 1}}, {"arrivals": 2, "by": {"03": 1, "05": 4}}) == {
        "arrivals": [1, 2], "by.01": [2, 0], "by.05": [0, 4]}
