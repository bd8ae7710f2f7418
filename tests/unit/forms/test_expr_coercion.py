"""XPath 1.0 coercion helpers and comparison rules."""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

import pytest

from server.forms.expr import EvalContext, NodeSet, evaluate, number_to_string, to_boolean, to_number, to_string
from server.forms.expr.coercion import compare


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.0, "3"), (-0.0, "0"), (0.5, "0.5"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
     (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (123456789.125, "123456789.125"),
     (2.0**53, "9007199254740992")],
)
def test_number_to_string(value: float, text: str) -> None:
    assert number_to_string(value) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", math.nan), ("  42 ", 42.0), ("-1.5", -1.5), (".5", 0.5), ("1e3", math.nan), ("+1", math.nan),
     ("0x10", math.nan), (True, 1.0), (False, 0.0), (2.5, 2.5), ("1970-01-03", 2.0),
     ("1970-01-01T12:00:00Z", 0.0), ("1970-01-01T20:00:00Z", 1.0), ("2026-02-30", math.nan),
     ("2026-11-28T10:00:00+25:00", math.nan)],
)
def test_to_number(value: object, expected: float) -> None:
    got = to_number(value)
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_to_number_counts_a_datetime_as_its_calendar_day_in_the_given_zone() -> None:
    assert to_number("1970-01-01T20:00:00Z", ZoneInfo("Asia/Shanghai")) == 1.0
    assert to_number("1970-01-01T20:00:00Z", ZoneInfo("UTC")) == 0.0
    assert to_number("1970-01-02T01:00:00", ZoneInfo("Asia/Shanghai")) == 1.0  # no offset: wall-clock time
    assert to_number("1970-01-02T01:00:00", ZoneInfo("America/Phoenix")) == 1.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("false", True), (0.0, False), (math.nan, False), (-2.0, True), (True, True)],
)
def test_to_boolean(value: object, expected: bool) -> None:
    assert to_boolean(value) is expected


def test_node_sets_coerce_through_their_first_node() -> None:
    ctx = EvalContext({"data": {"a": ["1", "x"], "r": [{"v": "7"}, {"v": "9"}]}})
    nodes = evaluate("/data/r/v", ctx)
    assert isinstance(nodes, NodeSet)
    assert to_string(nodes) == "7" and to_number(nodes) == 7.0 and to_boolean(nodes) is True
    assert to_string(NodeSet()) == "" and math.isnan(to_number(NodeSet())) and to_boolean(NodeSet()) is False
    assert evaluate("/data/a", ctx).strings() == ["1 x"]  # a list of scalars is a select_multiple answer


def test_to_string_rejects_foreign_objects() -> None:
    with pytest.raises(TypeError):
        to_string(object())


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [("=", "1", 1.0, True), ("=", "1.0", "1", False), ("<", "2026-01-02", "2026-01-10", True),
     ("=", True, "no", True), ("!=", math.nan, math.nan, True), (">=", "abc", "abc", False),
     ("=", "2004-05-01T00:00:00+08:00", "2004-05-01", True), ("!=", "2004-05-01T09:00:00Z", "2004-05-01", False),
     ("=", "2026-11-28T00:10:00+08:00", "2026-11-28T23:50:00+08:00", True),
     ("<", "2026-11-28T00:10:00+08:00", "2026-11-28", False), ("=", "2026-11-28", "", False),
     ("=", "2026-11-28", "20785", False)],
)
def test_compare_atoms(op: str, a: object, b: object, expected: bool) -> None:
    assert compare(op, a, b) is expected


def test_native_json_leaves_become_xml_text() -> None:
    ctx = EvalContext({"data": {"n": 42, "f": 2.5, "b": True, "none": None, "m": ["a", "b"]}})
    assert evaluate("concat(/data/n, '|', /data/f, '|', /data/b, '|', /data/none, '|', /data/m)", ctx) == \
        "42|2.5|true||a b"
    assert evaluate("/data/n + 1", ctx) == 43.0
    assert evaluate("selected(/data/m, 'b')", ctx) is True
