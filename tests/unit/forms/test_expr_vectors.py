"""Run every shared expression vector (tests/vectors/expressions.json) against the Python engine."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from server.forms.expr import EvalContext, ExprError, NodeSet, evaluate, parse, to_string, type_name

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "expressions.json"
SUITE = json.loads(VECTORS.read_text(encoding="utf-8"))
DEFAULTS = SUITE["defaults"]
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def context_for(case: dict[str, Any]) -> EvalContext:
    """Build the EvalContext a vector describes."""
    now = datetime.fromisoformat(case.get("now", DEFAULTS["now"]))
    return EvalContext(
        case.get("data"),
        case.get("refs"),
        context=case.get("context"),
        tz=case.get("tz", DEFAULTS["tz"]),
        clock=lambda: now,
        choices=case.get("choices"),
        field_lists=case.get("field_lists"),
        repeats=case.get("repeats", ()),
        instances=case.get("instances"),
    )


def check_number(actual: float, expected: Any, tolerance: float) -> None:
    want = _SPECIAL.get(expected, expected) if isinstance(expected, str) else float(expected)
    if math.isnan(want):
        assert math.isnan(actual), f"expected NaN, got {actual!r}"
    elif math.isinf(want):
        assert actual == want
    else:
        assert actual == pytest.approx(want, abs=tolerance, rel=0 if tolerance else 1e-12)


def test_vector_file_is_well_formed() -> None:
    ids = [c["id"] for c in SUITE["cases"]]
    assert SUITE["version"] == 1
    assert len(ids) == len(set(ids)) >= 320


@pytest.mark.parametrize("case", SUITE["cases"], ids=lambda c: c["id"])
def test_vector(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(ExprError) as info:
            evaluate(parse(case["expr"]), context_for(case))
        assert info.value.kind == case["error"], str(info.value)
        if "position" in case:
            assert getattr(info.value, "position", None) == case["position"]
        return
    value = evaluate(case["expr"], context_for(case))
    assert type_name(value) == case["type"], f"got {value!r}"
    if "expected_regex" in case:
        assert re.search(case["expected_regex"], to_string(value)), to_string(value)
    elif case["type"] == "number":
        check_number(value, case["expected"], case.get("tolerance", 0.0))
    elif case["type"] == "nodeset":
        assert isinstance(value, NodeSet)
        assert value.strings() == case["expected"]
    else:
        assert value == case["expected"]
