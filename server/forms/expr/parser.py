"""Recursive-descent parser for XLSForm/ODK XPath, plus the cached ``parse`` entry point.

``parse`` is memoised: a form's expressions are parsed (and compiled to closures)
once per process, however many submissions are validated against them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import ExprSyntaxError
from .lexer import Token, tokenize
from .nodes import BinOp, Call, Filter, Neg, Node, Num, Path, Ref, Step, Str, walk

_AXES = frozenset({"child", "self", "parent", "descendant", "descendant-or-self", "attribute",
                   "ancestor", "ancestor-or-self"})
_REL_OPS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Expr:
    """A parsed, compiled expression: source text, immutable AST, referenced names and functions."""

    text: str
    ast: Node
    refs: frozenset[str]
    functions: frozenset[str]
    fn: Callable[[Any], Any] = field(repr=False, compare=False)

    def __str__(self) -> str:
        return self.text


class _Parser:
    """Turns a token list into an AST; one instance per parse."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- token helpers -------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def _is_op(self, *values: str) -> bool:
        t = self.toks[self.i]
        return t.kind == "OP" and t.value in values

    def _advance(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def _expect_op(self, value: str) -> Token:
        if not self._is_op(value):
            raise self._error(f"expected {value!r}")
        return self._advance()

    def _error(self, message: str) -> ExprSyntaxError:
        t = self.tok
        found = "end of expression" if t.kind == "EOF" else repr(t.value)
        return ExprSyntaxError(f"{message}, found {found}", t.pos)

    # -- grammar -------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "EOF":
            raise ExprSyntaxError("empty expression", 0)
        node = self.or_expr()
        if self.tok.kind != "EOF":
            raise self._error("unexpected token")
        return node

    def _binary(self, ops: tuple[str, ...], sub: Callable[[], Node]) -> Node:
        left = sub()
        while self._is_op(*ops):
            op = self._advance().value
            left = BinOp(op, left, sub())
        return left

    def or_expr(self) -> Node:
        return self._binary(("or",), self.and_expr)

    def and_expr(self) -> Node:
        return self._binary(("and",), self.eq_expr)

    def eq_expr(self) -> Node:
        return self._binary(("=", "!="), self.rel_expr)

    def rel_expr(self) -> Node:
        return self._binary(_REL_OPS, self.add_expr)

    def add_expr(self) -> Node:
        return self._binary(("+", "-"), self.mul_expr)

    def mul_expr(self) -> Node:
        return self._binary(("*", "div", "mod"), self.unary_expr)

    def unary_expr(self) -> Node:
        if self._is_op("-"):
            self._advance()
            operand = self.unary_expr()
            if isinstance(operand, Num):
                return Num(-operand.value)
            return Neg(operand)
        return self.union_expr()

    def union_expr(self) -> Node:
        return self._binary(("|",), self.path_expr)

    def path_expr(self) -> Node:
        t = self.tok
        if t.kind in ("NUM", "STR", "REF", "FUNC") or (t.kind == "OP" and t.value == "("):
            base = self.filter_expr()
            if self._is_op("/", "//"):
                steps = self.relative_steps(after_slash=True)
                return Path(False, tuple(steps), base)
            return base
        if self._is_op("/"):
            self._advance()
            if self._step_starts():
                return Path(True, tuple(self.relative_steps()))
            return Path(True, ())
        if self._is_op("//"):
            self._advance()
            steps = [Step("descendant-or-self", "node()")]
            steps.extend(self.relative_steps())
            return Path(True, tuple(steps))
        if self._step_starts():
            return Path(False, tuple(self.relative_steps()))
        raise self._error("expected an expression")

    def _step_starts(self) -> bool:
        t = self.tok
        return t.kind in ("NAME", "AXIS") or (t.kind == "OP" and t.value in (".", "..", "@"))

    def filter_expr(self) -> Node:
        t = self._advance()
        base: Node
        if t.kind == "NUM":
            base = Num(float(t.value))
        elif t.kind == "STR":
            base = Str(t.value)
        elif t.kind == "REF":
            name = t.value.removeprefix("last-saved#")
            base = Ref(name, last_saved=name != t.value)
        elif t.kind == "FUNC":
            base = self.call_rest(t)
        else:  # '('
            base = self.or_expr()
            self._expect_op(")")
        preds = self.predicates()
        return Filter(base, preds) if preds else base

    def call_rest(self, name_tok: Token) -> Node:
        self._expect_op("(")
        args: list[Node] = []
        if not self._is_op(")"):
            args.append(self.or_expr())
            while self._is_op(","):
                self._advance()
                args.append(self.or_expr())
        if not self._is_op(")"):
            raise self._error(f"expected ',' or ')' in call to {name_tok.value}()")
        self._advance()
        return Call(name_tok.value, tuple(args), name_tok.pos)

    def predicates(self) -> tuple[Node, ...]:
        preds: list[Node] = []
        while self._is_op("["):
            self._advance()
            preds.append(self.or_expr())
            self._expect_op("]")
        return tuple(preds)

    def relative_steps(self, after_slash: bool = False) -> list[Step]:
        steps: list[Step] = []
        if after_slash:
            sep = self._advance().value
            if sep == "//":
                steps.append(Step("descendant-or-self", "node()"))
        steps.append(self.step())
        while self._is_op("/", "//"):
            if self._advance().value == "//":
                steps.append(Step("descendant-or-self", "node()"))
            steps.append(self.step())
        return steps

    def step(self) -> Step:
        t = self.tok
        if t.kind == "OP" and t.value == ".":
            self._advance()
            return Step("self", "node()")
        if t.kind == "OP" and t.value == "..":
            self._advance()
            return Step("parent", "node()")
        axis = "child"
        if t.kind == "AXIS":
            if t.value not in _AXES:
                raise ExprSyntaxError(f"unsupported axis {t.value!r}", t.pos)
            axis = t.value
            self._advance()
        elif t.kind == "OP" and t.value == "@":
            axis = "attribute"
            self._advance()
        t = self.tok
        if t.kind != "NAME":
            raise self._error("expected a node name")
        self._advance()
        name = t.value
        if name in ("node", "text") and self._is_op("("):
            self._advance()
            self._expect_op(")")
            name = name + "()"
        return Step(axis, name, self.predicates())


def parse_ast(text: str) -> Node:
    """Parse expression text into an AST without compiling it."""
    return _Parser(text).parse()


@lru_cache(maxsize=8192)
def parse(text: str) -> Expr:
    """Parse and compile an expression, memoised; raises ExprSyntaxError(message, position)."""
    from .compiler import compile_node  # compiler imports the function table; keep parse import-light

    if not isinstance(text, str):
        raise TypeError("expression text must be a str")
    try:
        ast = parse_ast(text)
        fn = compile_node(ast)
    except RecursionError:
        raise ExprSyntaxError("expression nested too deeply", 0) from None
    nodes = walk(ast)
    refs = frozenset(n.name for n in nodes if isinstance(n, Ref))
    funcs = frozenset(n.name for n in nodes if isinstance(n, Call))
    return Expr(text, ast, refs, funcs, fn)
