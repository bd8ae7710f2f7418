"""Immutable AST node types produced by the parser.

Nodes are frozen, slotted dataclasses so a parsed expression can be cached and
shared between threads and requests without defensive copies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal."""

    value: str


@dataclass(frozen=True, slots=True)
class Ref:
    """An XLSForm ``${name}`` reference; ``${last-saved#name}`` reads the device's last saved submission."""

    name: str
    last_saved: bool = False


@dataclass(frozen=True, slots=True)
class BinOp:
    """A binary operator: or and = != < <= > >= + - * div mod |."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; ``pos`` is the character offset of the name, for error messages."""

    name: str
    args: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    """One location step: axis, name test ('*' for any, 'node()' for node()) and predicates."""

    axis: str
    name: str
    predicates: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Filter:
    """A primary expression (ref, call, parenthesised expr) filtered by predicates."""

    base: Node
    predicates: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Path:
    """A location path, optionally starting from a filter expression (``base``)."""

    absolute: bool
    steps: tuple[Step, ...]
    base: Node | None = None


Node = Num | Str | Ref | BinOp | Neg | Call | Filter | Path


def walk(node: Node | Step) -> list[Node | Step]:
    """Return every node of the tree in pre-order (used to collect refs and calls)."""
    out: list[Node | Step] = []
    stack: list[Node | Step] = [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        if isinstance(cur, BinOp):
            stack.extend((cur.right, cur.left))
        elif isinstance(cur, Neg):
            stack.append(cur.operand)
        elif isinstance(cur, Call):
            stack.extend(reversed(cur.args))
        elif isinstance(cur, Filter):
            stack.extend(reversed(cur.predicates))
            stack.append(cur.base)
        elif isinstance(cur, Path):
            stack.extend(reversed(cur.steps))
            if cur.base is not None:
                stack.append(cur.base)
        elif isinstance(cur, Step):
            stack.extend(reversed(cur.predicates))
    return out
