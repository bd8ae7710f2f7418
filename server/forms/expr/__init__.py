"""gridreg's own XLSForm/ODK XPath expression engine (parser, compiler, evaluator).

Used by the form compiler (upload-time checks) and the submission validator
(re-evaluating every relevant/constraint/calculate on the server), and mirrored
by the offline web client through the shared vectors in
``tests/vectors/expressions.json``.

Public API
----------
``parse(text: str) -> Expr``
    Memoised (``functools.lru_cache``). Raises ``ExprSyntaxError(message, position)``
    (``position`` is the 0-based character offset). Unknown functions and wrong
    arity do *not* fail parsing; they raise ``UnknownFunctionError`` / ``ArityError``
    when evaluated, and can be found up front with ``check_functions`` / ``check_calls``.

``Expr`` (frozen): ``.text``, ``.ast`` (immutable nodes from ``nodes.py``),
    ``.refs: frozenset[str]`` (``${name}`` names), ``.functions: frozenset[str]``.

``evaluate(expr: Expr | str, ctx: EvalContext) -> str | float | bool | NodeSet``
    Numbers are always ``float``. A ``NodeSet`` is a list of ``Node`` (``.name``,
    ``.text``, ``.index``, ``.path()``).

``EvalContext(data=None, refs=None, context=None, root=None, tz="Asia/Shanghai",
clock=None, choices=None, field_lists=None, repeats=(), instances=None)``
    ``data``: the instance as nested JSON, e.g. ``{"data": {"age": "20",
    "children": [{"child_name": "Ali"}]}}`` (groups are dicts, repeats lists of
    dicts; native numbers/bools/lists are converted to their XML text).
    ``refs``: ``${name}`` -> absolute path (``{"age": "/data/age"}``).
    ``context``: the current node, ``"/data/children[2]/child_age"`` or a tuple of
    names / ``(name, index)`` pairs; default is the root element.
    ``root``: root element name (guessed from ``refs``/``data`` if omitted).
    ``tz``: IANA name or tzinfo. ``clock``: ``() -> datetime`` for today()/now().
    ``choices``: list_name -> value -> label (a label may be a dict of languages);
    ``field_lists``: field name -> list_name, for ``jr:choice-name``.
    ``repeats``: absolute paths of repeat groups, so absent repeats count as 0
    instances while absent ordinary fields read as empty strings.
    ``instances``: secondary instances for ``instance('id')/root/item[...]``: id ->
    a tree ``{"root": {"item": [{"name": ..., "label": ...}]}}`` or a bare item list.
    ``ctx.at(context)`` returns a context for another field of the same submission
    sharing the document and caches: build one per submission, re-point per field.

    The data tree must not be mutated while contexts built on it are in use
    (resolved references are cached per submission).

Reference semantics: ``${name}`` (and unpredicated absolute paths) inside a
repeat bind the repeat steps they share with the context path to the context's
instance (a sibling in the same instance); elsewhere they denote all instances.
Node-set comparisons are existential and ``boolean(node-set)`` is non-emptiness
(XPath 1.0). Where ODK Collect's JavaRosa departs from the spec text we follow it
so server re-validation agrees with devices: ``sum()`` skips non-numbers,
``boolean-from-string()`` is case-insensitive, ``indexed-repeat()`` reads an
index <= 0 as 1. ``tests/vectors/expressions.json`` ("doc") lists the rest.

Example::

    ctx = EvalContext(submission, form_refs, tz="Asia/Shanghai")
    for field, constraint in constraints:          # parse() results are cached
        ok = to_boolean(evaluate(constraint, ctx.at(field_paths[field])))

``to_string(v) -> str``, ``to_number(v, tz=DEFAULT_TZ) -> float``, ``to_boolean(v) -> bool``,
``type_name(v) -> "string"|"number"|"boolean"|"nodeset"``, ``number_to_string(x) -> str``:
    XPath 1.0 coercions (3.0 -> "3", NaN -> "NaN", Infinity -> "Infinity"; date
    strings are days since 1970-01-01 as numbers).

``KNOWN_FUNCTIONS: frozenset[str]``, ``check_functions(expr) -> list[str]`` (unknown
names), ``check_calls(expr) -> list[str]`` (unknown names and arity problems).

Errors: ``ExprError`` (``.kind``: "eval") and subclasses ``ExprSyntaxError``
("syntax"), ``UnknownFunctionError`` ("unknown_function"), ``ArityError``
("arity"), ``UnknownReferenceError`` ("unknown_ref"), ``ExprTypeError`` ("type").
"""

from __future__ import annotations

from .coercion import number_to_string, to_boolean, to_number, to_string, type_name
from .context import EvalContext
from .dates import DEFAULT_TZ, DEFAULT_TZ_NAME
from .document import Node, NodeSet
from .errors import (
    ArityError,
    ExprError,
    ExprSyntaxError,
    ExprTypeError,
    UnknownFunctionError,
    UnknownReferenceError,
)
from .evaluator import evaluate
from .functions import KNOWN_FUNCTIONS, check_calls, check_functions
from .parser import Expr, parse

__all__ = [
    "DEFAULT_TZ",
    "DEFAULT_TZ_NAME",
    "KNOWN_FUNCTIONS",
    "ArityError",
    "EvalContext",
    "Expr",
    "ExprError",
    "ExprSyntaxError",
    "ExprTypeError",
    "Node",
    "NodeSet",
    "UnknownFunctionError",
    "UnknownReferenceError",
    "check_calls",
    "check_functions",
    "evaluate",
    "number_to_string",
    "parse",
    "to_boolean",
    "to_number",
    "to_string",
    "type_name",
]
