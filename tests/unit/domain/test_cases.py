"""Pure case rules: the status machine, due dates from the kind, overdue, and what opening fills in."""

from __future__ import annotations

import datetime as dt

from server.domain import cases
from server.domain.departments import load_duties

DUTIES = load_duties()
DAY = dt.date(2026, 12, 7)


def test_status_moves_forward_and_reopens() -> None:
    assert cases.may_move("open", "in_progress") and cases.may_move("in_progress", "resolved")
    assert cases.may_move("resolved", "closed") and cases.may_move("closed", "open")
    assert cases.may_move(None, "in_progress")  # a follow-up without status counts as open
    assert not cases.may_move("open", "closed") and not cases.may_move("closed", "resolved")
    assert not cases.may_move("in_progress", "in_progress")


def test_due_date_comes_from_the_kind_and_crosses_the_year() -> None:
    assert cases.due_date(DUTIES, "relief", DAY) == dt.date(2026, 12, 10)
    assert cases.due_date(DUTIES, "dispute", dt.date(2026, 12, 20)) == dt.date(2027, 1, 19)
    assert cases.due_date(DUTIES, "gossip", DAY) is None


def test_opening_fills_status_dates_and_keeps_a_given_due_date() -> None:
    assert cases.opened(DUTIES, {"kind": "appeal"}, DAY) == {
        "kind": "appeal", "status": "open", "opened_date": "2026-12-07", "due_date": "2026-12-22"}
    given = cases.opened(DUTIES, {"kind": "appeal", "due_date": "2026-12-09"}, DAY)
    assert given["due_date"] == "2026-12-09"
    resolved = cases.opened(DUTIES, {"kind": "need", "status": "resolved"}, DAY)
    assert resolved["resolved_date"] == "2026-12-07"


def test_overdue_is_unfinished_and_past_due() -> None:
    assert cases.is_overdue({"status": "open", "due_date": "2026-12-06"}, DAY)
    assert cases.is_overdue({"status": "in_progress", "due_date": "2026-12-06"}, DAY)
    assert not cases.is_overdue({"status": "open", "due_date": "2026-12-07"}, DAY)  # due today is not late
    assert not cases.is_overdue({"status": "resolved", "due_date": "2026-01-01"}, DAY)
    assert not cases.is_overdue({"status": "open"}, DAY)


def test_status_changes_date_and_reopening_clears() -> None:
    resolved = cases.moved({"status": "in_progress"}, "resolved", DAY)
    assert resolved == {"status": "resolved", "resolved_date": "2026-12-07"}
    closed = cases.moved(resolved, "closed", dt.date(2026, 12, 9))
    assert closed == {"status": "closed", "resolved_date": "2026-12-07", "closed_date": "2026-12-09"}
    assert cases.moved(closed, "open", DAY) == {"status": "open"}


def test_a_form_opens_cases_by_its_settings() -> None:
    assert cases.form_opens_cases({"settings": {"opens_cases": "yes"}})
    assert not cases.form_opens_cases({"settings": {}}) and not cases.form_opens_cases(None)
