"""Evaluation context: the submission tree, the ${name} map, time zone, clock and choices.

An ``EvalContext`` is built once per submission and re-pointed at each field
with ``ctx.at(path)``; the document, its lazily built nodes and the resolved
references are shared, so validating every field of a submission costs one
small object per field rather than one tree per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from .dates import DEFAULT_TZ_NAME, get_tz
from .document import Node, NodeSet, make_document, missing_child
from .errors import UnknownReferenceError

Clock = Callable[[], datetime]
ContextPath = str | Iterable[str | tuple[str, int]] | None
_STEP_RE = re.compile(r"^([^\[\]]+)(?:\[(\d+)\])?$")


def system_clock() -> datetime:
    """The real current time (UTC, aware)."""
    return datetime.now(UTC)


@lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[tuple[str, int], ...]:
    """'/data/rep[2]/x' -> (('data', 1), ('rep', 2), ('x', 1)); an index of 0 means 'not given'."""
    steps: list[tuple[str, int]] = []
    for part in path.strip().strip("/").split("/"):
        if not part:
            continue
        m = _STEP_RE.match(part.strip())
        if m is None:
            raise ValueError(f"invalid path step {part!r} in {path!r}")
        steps.append((m.group(1), int(m.group(2)) if m.group(2) else 0))
    return tuple(steps)


@lru_cache(maxsize=4096)
def _context_steps(context: str, root: str) -> tuple[tuple[str, int], ...]:
    return _normalise_context(context, root)


def _normalise_context(context: ContextPath, root: str) -> tuple[tuple[str, int], ...]:
    if context is None:
        return ((root, 1),)
    if isinstance(context, str):
        raw = split_path(context)
    else:
        raw = tuple((s, 0) if isinstance(s, str) else (s[0], int(s[1])) for s in context)
    return tuple((name, idx or 1) for name, idx in raw)


class _Shared:
    """State shared by every context of one submission: document and settings."""

    __slots__ = ("doc", "root", "refs", "tz", "tz_name", "clock", "choices", "field_lists", "repeats",
                 "virtual", "path_names", "instances", "instance_docs", "ref_names", "resolved", "nodes",
                 "by_context")

    def __init__(self, data: Any, refs: Mapping[str, str], root: str, tz: str | tzinfo, clock: Clock,
                 choices: Mapping[str, Mapping[str, Any]], field_lists: Mapping[str, str],
                 repeats: Iterable[str], instances: Mapping[str, Any]) -> None:
        self.root = root
        if not (isinstance(data, Mapping) and len(data) == 1 and root in data):
            data = {root: data if isinstance(data, Mapping) else {}}
        self.doc = make_document(data)
        self.refs = refs
        self.tz = get_tz(tz) if isinstance(tz, str) else tz
        self.tz_name = tz if isinstance(tz, str) else str(tz)
        self.clock = clock
        self.choices = choices
        self.field_lists = field_lists
        self.repeats = frozenset(tuple(n for n, _ in split_path(p)) for p in repeats)
        self.virtual: dict[tuple[int, str], Node] = {}
        self.path_names: dict[str, str] | None = None
        self.instances = instances
        self.instance_docs: dict[str, Node] = {}
        self.ref_names: dict[str, tuple[str, ...]] = {}
        self.resolved: dict[tuple[str, tuple[int, ...]], NodeSet] = {}
        self.nodes: dict[tuple[tuple[str, int], ...], Node] = {}
        self.by_context: dict[tuple[str, tuple[tuple[str, int], ...]], NodeSet] = {}


class EvalContext:
    """Where and with what an expression is evaluated; cheap to re-point with ``at()``."""

    __slots__ = ("_s", "steps", "_node", "tz")

    def __init__(self, data: Any = None, refs: Mapping[str, str] | None = None, context: ContextPath = None,
                 root: str | None = None, tz: str | tzinfo = DEFAULT_TZ_NAME, clock: Clock | None = None,
                 choices: Mapping[str, Mapping[str, Any]] | None = None,
                 field_lists: Mapping[str, str] | None = None, repeats: Iterable[str] = (),
                 instances: Mapping[str, Any] | None = None, _shared: _Shared | None = None) -> None:
        if _shared is None:
            if root is None:
                root = _guess_root(data, refs)
            _shared = _Shared(data if data is not None else {}, refs or {}, root, tz, clock or system_clock,
                              choices or {}, field_lists or {}, repeats, instances or {})
        self._s = _shared
        self.tz = _shared.tz
        self.steps = _normalise_context(context, _shared.root)
        self._node: Node | None = None

    def at(self, context: ContextPath) -> EvalContext:
        """A context for another field of the same submission (shares document and settings)."""
        new = object.__new__(EvalContext)
        new._s = s = self._s
        new.tz = s.tz
        new.steps = _context_steps(context, s.root) if isinstance(context, str) else \
            _normalise_context(context, s.root)
        new._node = None
        return new

    # -- settings ------------------------------------------------------
    @property
    def root(self) -> str:
        """Name of the instance root element."""
        return self._s.root

    @property
    def tz_name(self) -> str:
        """The evaluation time zone's name."""
        return self._s.tz_name

    def now(self) -> datetime:
        """The injected clock's current time, in the evaluation time zone."""
        current = self._s.clock()
        if current.tzinfo is None:
            current = current.replace(tzinfo=self.tz)
        return current.astimezone(self.tz)

    def choice_label(self, field: str, value: str) -> str:
        """Label of a choice value for a select field ('' when unknown)."""
        list_name = self._s.field_lists.get(field, field)
        label = self._s.choices.get(list_name, {}).get(value)
        if label is None:
            return ""
        if isinstance(label, Mapping):
            for key in ("default", "label"):
                if key in label:
                    return str(label[key])
            return str(next(iter(label.values()), ""))
        return str(label)

    def name_for_path(self, path: str) -> str | None:
        """Reverse ${name} lookup: the field name whose absolute path is ``path``."""
        names = self._s.path_names
        if names is None:
            names = {"/" + "/".join(n for n, _ in split_path(p)): k for k, p in self._s.refs.items()}
            self._s.path_names = names
        return names.get("/" + "/".join(n for n, _ in split_path(path)))

    # -- nodes ---------------------------------------------------------
    @property
    def document(self) -> Node:
        """The document node (parent of the root element)."""
        return self._s.doc

    @property
    def node(self) -> Node:
        """The context node (a detached empty node if the context path is absent from the data)."""
        node = self._node
        if node is None:
            cache = self._s.nodes
            node = cache.get(self.steps)
            if node is None:
                node = self._s.doc
                for name, idx in self.steps:
                    found = node.named(name)
                    node = found[idx - 1] if idx <= len(found) else self._virtual(node, name, idx)
                cache[self.steps] = node
            self._node = node
        return node

    def _virtual(self, parent: Node, name: str, idx: int) -> Node:
        key = (id(parent), name + "#" + str(idx))
        node = self._s.virtual.get(key)
        if node is None:
            node = self._s.virtual[key] = missing_child(parent, name, idx)
        return node

    def instance_document(self, instance_id: str) -> Node | None:
        """Document node of a secondary instance (``instance('id')``), or None if not supplied."""
        docs = self._s.instance_docs
        doc = docs.get(instance_id)
        if doc is None:
            raw = self._s.instances.get(instance_id)
            if raw is None:
                return None
            if isinstance(raw, list):  # a bare item list, as an entity list or CSV gives it
                raw = {"root": {"item": raw}}
            doc = docs[instance_id] = make_document(raw)
        return doc

    def ref_path(self, name: str) -> tuple[str, ...]:
        """Absolute element names of a ${name} reference."""
        names = self._s.ref_names.get(name)
        if names is None:
            path = self._s.refs.get(name)
            if path is None:
                raise UnknownReferenceError(f"unknown reference ${{{name}}}")
            names = self._s.ref_names[name] = tuple(n for n, _ in split_path(path))
        return names

    def resolve_ref(self, name: str) -> NodeSet:
        """Nodes a ${name} denotes here: same-instance sibling inside a repeat, else all instances.

        Results are cached per submission by (name, repeat binding), so a reference
        outside repeats is resolved once however many fields use it.
        """
        s = self._s
        fast_key = (name, self.steps)
        hit = s.by_context.get(fast_key)
        if hit is None:
            names = self.ref_path(name)
            indices = self.contextual_indices(names)
            key = (name, tuple(indices))
            hit = s.resolved.get(key)
            if hit is None:
                hit = s.resolved[key] = self.resolve_names(names, indices, virtual=True)
            s.by_context[fast_key] = hit
        return hit

    def contextual_indices(self, names: tuple[str, ...]) -> list[int]:
        """Per step, the repeat index shared with the context path (0 = all instances)."""
        out = [0] * len(names)
        steps = self.steps
        for i in range(min(len(names) - 1, len(steps))):
            if steps[i][0] != names[i]:
                break
            out[i] = steps[i][1]
        return out

    def resolve_names(self, names: tuple[str, ...], indices: list[int] | None = None,
                      virtual: bool = False) -> NodeSet:
        """Walk an absolute name path, binding steps to the given (or contextual) repeat indices."""
        if indices is None:
            indices = self.contextual_indices(names)
        nodes = [self._s.doc]
        for depth, name in enumerate(names):
            idx = indices[depth]
            nxt: list[Node] = []
            for node in nodes:
                found = node.named(name)
                if idx:
                    if idx <= len(found):
                        nxt.append(found[idx - 1])
                    elif virtual and not found and not self._is_repeat(node, names[: depth + 1]):
                        nxt.append(self._virtual(node, name, 1))
                elif found:
                    nxt.extend(found)
                elif virtual and not self._is_repeat(node, names[: depth + 1]):
                    nxt.append(self._virtual(node, name, 1))
            nodes = nxt
            if not nodes:
                break
        return NodeSet(nodes)

    def _is_repeat(self, parent: Node, names: tuple[str, ...]) -> bool:
        if names in self._s.repeats:
            return True
        raw = parent.raw
        return isinstance(raw, Mapping) and isinstance(raw.get(names[-1]), (list, tuple))


def _guess_root(data: Any, refs: Mapping[str, str] | None) -> str:
    for path in (refs or {}).values():
        steps = split_path(path)
        if steps:
            return steps[0][0]
    if isinstance(data, Mapping) and len(data) == 1:
        key = next(iter(data))
        if isinstance(data[key], Mapping):
            return str(key)
    return "data"


class Frame:
    """Per-evaluation cursor: the context, the current node and its position/size in a predicate."""

    __slots__ = ("c", "node", "pos", "size")

    def __init__(self, c: EvalContext, node: Node, pos: int = 1, size: int = 1) -> None:
        self.c = c
        self.node = node
        self.pos = pos
        self.size = size


class RootFrame(Frame):
    """The outermost frame: resolves the context node only if the expression asks for it."""

    __slots__ = ()

    def __init__(self, c: EvalContext) -> None:  # noqa: D107 - slots are filled lazily
        self.c = c
        self.pos = 0  # 0 = not inside a predicate
        self.size = 0

    def __getattr__(self, name: str) -> Any:
        if name == "node":
            node = self.c.node
            self.node = node
            return node
        raise AttributeError(name)
