"""Tokenizer for the XLSForm/ODK flavour of XPath 1.0.

XPath's lexical rules are context sensitive: ``*`` and the names ``and``, ``or``,
``div`` and ``mod`` are operators only when they follow an operand, so the
tokenizer tracks the previous token to disambiguate (XPath 1.0, section 3.7).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ExprSyntaxError


class Token(NamedTuple):
    """One lexical token: kind, text value and 0-based character position."""

    kind: str  # NUM STR REF NAME FUNC OP AXIS EOF
    value: str
    pos: int


_NAME = r"[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?"
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>"[^"]*"|'[^']*')
  | (?P<ref>\$\{\s*(?P<refname>(?:last-saved\#)?[^\W\d][\w.\-]*)\s*\})
  | (?P<axis>""" + _NAME + r""")\s*::
  | (?P<name>""" + _NAME + r""")
  | (?P<op>\.\.|//|!=|<=|>=|[()\[\].@,|/+\-=<>*])
    """,
    re.VERBOSE | re.UNICODE,
)

_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
# After these tokens the next token starts an operand, so '*' is a name test, 'div' a name.
_OPERAND_START_AFTER = frozenset({"@", "(", "[", ",", "/", "//", "|", "+", "-", "=", "!=", "<", "<=",
                                  ">", ">=", "*", "and", "or", "div", "mod", "::"})


def tokenize(text: str) -> list[Token]:
    """Split expression text into tokens, raising ExprSyntaxError on stray characters."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            if text.startswith("${", pos):
                raise ExprSyntaxError("malformed ${name} reference", pos)
            if text[pos] in "\"'":
                raise ExprSyntaxError("unterminated string literal", pos)
            raise ExprSyntaxError(f"unexpected character {text[pos]!r}", pos)
        kind = m.lastgroup
        start = m.start()
        pos = m.end()
        if kind == "ws":
            continue
        prev = tokens[-1] if tokens else None
        operand_expected = prev is None or (prev.kind in ("OP", "AXIS") and prev.value in _OPERAND_START_AFTER)
        if kind == "num":
            tokens.append(Token("NUM", m.group("num"), start))
        elif kind == "str":
            tokens.append(Token("STR", m.group("str")[1:-1], start))
        elif kind == "ref":
            tokens.append(Token("REF", m.group("refname"), start))
        elif kind == "axis":
            tokens.append(Token("AXIS", m.group("axis"), start))
        elif kind == "name":
            name = m.group("name")
            if name in _OPERATOR_NAMES and not operand_expected:
                tokens.append(Token("OP", name, start))
            elif _next_char(text, pos) == "(" and name not in ("node", "text"):
                tokens.append(Token("FUNC", name, start))
            else:
                tokens.append(Token("NAME", name, start))
        else:
            op = m.group("op")
            if op == "*" and operand_expected:
                tokens.append(Token("NAME", "*", start))
            else:
                tokens.append(Token("OP", op, start))
    tokens.append(Token("EOF", "", n))
    return tokens


def _next_char(text: str, pos: int) -> str:
    """Return the next non-space character at or after pos ('' at end)."""
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    return text[pos] if pos < n else ""
