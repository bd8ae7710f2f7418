"""Read-only node view over a submission's JSON instance tree.

Submissions arrive as nested JSON (groups are dicts, repeats are lists of
dicts, leaves are strings as OpenRosa XML carries them). XPath needs parent
links, sibling positions and document order, so nodes wrap the JSON lazily:
a node's children are built the first time a path walks through it, which
keeps constructing a context for a 50-field submission nearly free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def xml_text(value: Any) -> str:
    """Convert a native JSON leaf to the string OpenRosa XML would carry."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        from .coercion import number_to_string

        return "" if math.isnan(value) else number_to_string(value)
    if isinstance(value, (list, tuple)):
        return " ".join(xml_text(v) for v in value)
    return str(value)


class Node:
    """One element of the instance: name, parent, 1-based index among same-name siblings."""

    __slots__ = ("name", "parent", "index", "raw", "order", "_kids", "_by_name", "_text")

    def __init__(self, name: str, parent: Node | None, index: int, raw: Any, order: tuple[int, ...]) -> None:
        self.name = name
        self.parent = parent
        self.index = index
        self.raw = raw
        self.order = order
        self._kids: list[Node] | None = None
        self._by_name: dict[str, list[Node]] | None = None
        self._text: str | None = None

    def __repr__(self) -> str:
        return f"<Node {self.path()} {self.text!r}>"

    def path(self) -> str:
        """Absolute path with indices, e.g. /data/children[2]/name."""
        parts: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts.append(f"{node.name}[{node.index}]" if node.index != 1 else node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    @property
    def children(self) -> list[Node]:
        """Child elements in document order."""
        kids = self._kids
        if kids is None:
            kids = []
            raw = self.raw
            if isinstance(raw, Mapping):
                base = self.order
                for key, val in raw.items():
                    if isinstance(val, (list, tuple)) and (not val or any(isinstance(v, Mapping) for v in val)):
                        for i, item in enumerate(val):
                            kids.append(Node(key, self, i + 1, item, base + (len(kids),)))
                    else:  # leaf; a list of scalars is a select_multiple answer
                        kids.append(Node(key, self, 1, val, base + (len(kids),)))
            self._kids = kids
        return kids

    def named(self, name: str) -> list[Node]:
        """Children with the given element name (all repeat instances)."""
        by = self._by_name
        if by is None:
            by = {}
            for kid in self.children:
                by.setdefault(kid.name, []).append(kid)
            self._by_name = by
        return by.get(name, [])

    @property
    def text(self) -> str:
        """XPath string-value: the leaf text, or the concatenated text of all descendants."""
        t = self._text
        if t is None:
            raw = self.raw
            if isinstance(raw, Mapping):
                t = "".join(k.text for k in self.children)
            else:
                t = xml_text(raw)
            self._text = t
        return t

    def descendants(self) -> list[Node]:
        """All descendant elements in document order."""
        out: list[Node] = []
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


class NodeSet(list[Node]):
    """An XPath node-set: a list of nodes in document order without duplicates."""

    __slots__ = ()

    def strings(self) -> list[str]:
        """The string-value of every node."""
        return [n.text for n in self]



def make_document(data: Any) -> Node:
    """Wrap a JSON instance tree ({root_name: {...}}) in a document node."""
    return Node("#document", None, 1, data if isinstance(data, Mapping) else {}, ())


def missing_child(parent: Node, name: str, index: int) -> Node:
    """A detached empty node used when a context path points at an absent field."""
    return Node(name, parent, index, "", parent.order + (1 << 30,))
