"""Parser: syntax errors with positions, immutable cached ASTs, refs/functions metadata."""

from __future__ import annotations

import dataclasses

import pytest

from server.forms.expr import (
    KNOWN_FUNCTIONS,
    EvalContext,
    Expr,
    ExprError,
    ExprSyntaxError,
    UnknownFunctionError,
    check_calls,
    check_functions,
    evaluate,
    parse,
)
from server.forms.expr.nodes import BinOp, Call, Num, Path, Ref

REQUIRED = {
    "selected", "count-selected", "selected-at", "jr:choice-name", "concat", "join", "if", "coalesce", "once",
    "regex", "contains", "starts-with", "ends-with", "substr", "substring-before", "substring-after",
    "string-length", "normalize-space", "translate", "string", "number", "int", "round", "pow", "abs", "sqrt",
    "exp", "exp10", "log", "log10", "pi", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "boolean",
    "boolean-from-string", "not", "true", "false", "count", "count-non-empty", "sum", "max", "min", "position",
    "indexed-repeat", "today", "now", "date", "date-time", "decimal-date-time", "decimal-time", "format-date",
    "format-date-time", "uuid", "random", "area", "distance", "geofence", "digest",
}


def test_every_required_function_is_known() -> None:
    assert REQUIRED <= KNOWN_FUNCTIONS


@pytest.mark.parametrize(
    ("text", "position"),
    [("1 +", 3), ("foo(", 4), ("(1", 2), ("1 2", 2), ("concat(1,)", 9), ("1 = = 2", 4), ("'abc", 0),
     ("${a b}", 0), ("", 0), ("   ", 0), ("a/", 2), ("1 + #", 4)],
)
def test_syntax_errors_carry_message_and_position(text: str, position: int) -> None:
    with pytest.raises(ExprSyntaxError) as info:
        parse(text)
    assert info.value.position == position
    assert info.value.message
    assert isinstance(info.value, ExprError) and info.value.kind == "syntax"
    assert f"position {position}" in str(info.value)


def test_parse_is_memoised_and_returns_the_same_object() -> None:
    assert parse("${a} + 1") is parse("${a} + 1")


def test_ast_is_immutable() -> None:
    expr = parse("1 + ${x}")
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.ast.op = "-"  # type: ignore[union-attr]
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.text = "2"  # type: ignore[misc]


def test_ast_shape_and_precedence() -> None:
    ast = parse("1 + 2 * ${x}").ast
    assert isinstance(ast, BinOp) and ast.op == "+"
    assert ast.left == Num(1.0)
    assert isinstance(ast.right, BinOp) and ast.right.op == "*" and ast.right.right == Ref("x")


def test_negative_literal_is_folded() -> None:
    assert parse("-3").ast == Num(-3.0)


def test_refs_and_functions_metadata() -> None:
    expr = parse("if(selected(${langs}, 'ug'), concat(${a}, ${b}), jr:choice-name(${a}, '${a}'))")
    assert expr.refs == frozenset({"langs", "a", "b"})
    assert expr.functions == frozenset({"if", "selected", "concat", "jr:choice-name"})


def test_operator_words_are_names_where_an_operand_is_expected() -> None:
    ast = parse("/data/div + /data/mod").ast
    assert isinstance(ast, BinOp) and isinstance(ast.left, Path) and ast.left.steps[-1].name == "div"
    assert isinstance(ast.right, Path) and ast.right.steps[-1].name == "mod"


def test_star_is_multiply_after_an_operand_and_wildcard_otherwise() -> None:
    assert isinstance(parse("2 * 3").ast, BinOp)
    path = parse("/data/*").ast
    assert isinstance(path, Path) and path.steps[-1].name == "*"


def test_unknown_functions_parse_but_fail_on_evaluation() -> None:
    expr = parse("nosuch(1) + jr:other()")
    assert check_functions(expr) == ["jr:other", "nosuch"]
    assert check_functions("concat('a')") == []
    with pytest.raises(UnknownFunctionError):
        evaluate(expr, EvalContext())


def test_check_calls_reports_arity_with_position() -> None:
    assert check_calls("1 + substr('a')") == ["substr() takes 2 to 3 argument(s), got 1 at position 4"]
    assert check_calls("round(1.5)") == []


def test_function_call_node_records_position() -> None:
    ast = parse("  today()").ast
    assert isinstance(ast, Call) and ast.pos == 2


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse(42)  # type: ignore[arg-type]


def test_expr_is_public_type() -> None:
    assert isinstance(parse("1"), Expr)
    assert str(parse("1 + 1")) == "1 + 1"


def test_absurd_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(ExprSyntaxError):
        parse("(" * 5000 + "1" + ")" * 5000)
