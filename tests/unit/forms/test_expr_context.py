"""EvalContext: re-pointing, relative ${name} resolution, clock and time zone injection, speed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.forms.expr import EvalContext, UnknownReferenceError, evaluate

DATA = {"data": {"age": "20", "children": [{"child_name": "A", "child_age": "3"},
                                          {"child_name": "B", "child_age": "5"}]}}
REFS = {"age": "/data/age", "children": "/data/children", "child_name": "/data/children/child_name",
        "child_age": "/data/children/child_age"}


def fixed(y: int, mo: int, d: int, h: int, mi: int) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_at_repoints_and_shares_the_document() -> None:
    ctx = EvalContext(DATA, REFS)
    second = ctx.at("/data/children[2]/child_age")
    first = second.at((("data", 1), ("children", 1), ("child_age", 1)))
    assert evaluate("${child_name}", second).strings() == ["B"]
    assert evaluate("${child_name}", first).strings() == ["A"]
    assert evaluate("${child_name}", ctx).strings() == ["A", "B"]
    assert second.document is ctx.document


def test_context_path_as_plain_names_tuple() -> None:
    ctx = EvalContext(DATA, REFS, context=("data", "age"))
    assert evaluate(".", ctx).strings() == ["20"]


def test_root_is_guessed_and_bare_field_dicts_are_wrapped() -> None:
    ctx = EvalContext({"age": "20"}, {"age": "/survey/age"})
    assert ctx.root == "survey"
    assert evaluate("${age} * 2", ctx) == 40.0
    assert evaluate("/survey/age = 20", ctx) is True


def test_unknown_reference_is_an_error() -> None:
    with pytest.raises(UnknownReferenceError):
        evaluate("${nope}", EvalContext(DATA, REFS))


def test_clock_and_time_zone_are_injected() -> None:
    clock = lambda: fixed(2026, 11, 27, 18, 0)  # noqa: E731
    assert evaluate("today()", EvalContext(clock=clock)) == "2026-11-28"
    assert evaluate("today()", EvalContext(clock=clock, tz="UTC")) == "2026-11-27"
    assert evaluate("now()", EvalContext(clock=clock)) == "2026-11-28T02:00:00.000+08:00"
    naive = EvalContext(clock=lambda: datetime(2026, 1, 2, 3, 4))
    assert evaluate("now()", naive) == "2026-01-02T03:04:00.000+08:00"


def test_missing_context_node_is_empty_and_once_computes() -> None:
    ctx = EvalContext(DATA, REFS, context="/data/calc")
    assert evaluate("string(.)", ctx) == ""
    assert evaluate("once(${age} + 1)", ctx) == 21.0


def test_choice_labels_may_be_multilingual() -> None:
    ctx = EvalContext({"data": {"c": "y"}}, {"c": "/data/c"}, choices={"yn": {"y": {"default": "Yes", "zh": "是"}}},
                      field_lists={"c": "yn"})
    assert evaluate("jr:choice-name(${c}, '${c}')", ctx) == "Yes"
