"""Which values a form computes from which answers: the expression dependency graph.

A form computes values from answers: calculations (``calculate`` rows, and any
question with a ``calculation``), dynamic defaults, the instance name (pyxform
writes it as the ``meta/instanceName`` calculation) and the label of the
registry entity a submission creates (the entities sheet's ``label``, carried
in ``meta/entity/label``). ``derived_values`` follows those expressions from a
set of source answers, transitively, and says which computed values depend on
which kind of source, so a value computed from a sensitive answer is treated
like its source (submissions/privacy.py).

An expression reads an answer when it names it: ``${name}``, or a path whose
last named step is the answer's name (``/data/identity/id_number``,
``../id_number``). Naming a group reads everything under it (its string value
is the text of its descendants), and so does a ``*`` or ``node()`` step under
it. The match is by name, which errs on the side of finding a dependency.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from server.forms.compiled import iter_fields
from server.forms.expr import ExprError, parse
from server.forms.expr.nodes import Path, Step, walk

K = TypeVar("K")

ENTITY_LABEL = "meta/entity/label"  # below the form's root
_ANY_NODE = frozenset({"*", "node()", "text()"})


def entity_label_path(definition: Mapping[str, Any]) -> str:
    """The absolute path of the entity label in a submission's data."""
    return f"/{definition.get('root') or 'data'}/{ENTITY_LABEL}"


def value_expressions(definition: Mapping[str, Any]) -> dict[str, str]:
    """Absolute path -> expression text of every value the form computes."""
    out: dict[str, str] = {}
    for field in iter_fields(definition.get("fields") or []):
        calculation, default = field.get("calculation"), field.get("default")
        texts = [str(calculation)] if calculation not in (None, "") else []
        if isinstance(default, str) and "${" in default:  # a dynamic default (pyxform's setvalue)
            texts.append(default)
        if texts:
            out[str(field["path"])] = " | ".join(f"({t})" for t in texts) if len(texts) > 1 else texts[0]
    label = (definition.get("entities") or {}).get("label")
    if label not in (None, ""):
        out[entity_label_path(definition)] = str(label)
    return out


def names_read(text: str) -> frozenset[str]:
    """The names an expression reads (see the module docstring); empty when it does not parse."""
    try:
        expr = parse(text)
    except ExprError:
        return frozenset()
    names = set(expr.refs)
    for node in walk(expr.ast):
        if isinstance(node, Path):
            names.update(_last_named(node.steps))
    return frozenset(names)


def _last_named(steps: tuple[Step, ...]) -> Iterator[str]:
    """The name a path selects: its last named step (``group/*`` selects the group)."""
    for step in reversed(steps):
        if step.axis in ("self", "parent"):
            return
        if step.name not in _ANY_NODE:
            yield step.name
            return


def derived_values(definition: Mapping[str, Any], sources: Mapping[str, K],
                   rank: Mapping[K, int]) -> dict[str, K]:
    """Computed values that read a source, directly or through other computed values.

    ``sources`` maps absolute answer paths to a kind; each computed value gets
    the highest-ranked kind among the sources it depends on. The sources
    themselves are not in the result.
    """
    fields = {str(f["path"]) for f in iter_fields(definition.get("fields") or [])}
    expressions = {path: names_read(text) for path, text in value_expressions(definition).items()
                   if path not in sources}
    kinds: dict[str, K] = dict(sources)
    changed = True
    while changed:
        changed = False
        tainted = _tainted_names({p: k for p, k in kinds.items() if p in fields}, rank)
        for path, names in expressions.items():
            found = [tainted[n] for n in names if n in tainted]
            if not found:
                continue
            kind = max(found, key=lambda k: rank[k])
            if path not in kinds or rank[kind] > rank[kinds[path]]:
                kinds[path] = kind
                changed = True
    return {p: k for p, k in kinds.items() if p not in sources}


def _tainted_names(kinds: Mapping[str, K], rank: Mapping[K, int]) -> dict[str, K]:
    """Name -> kind of each tainted field and of every group above one (not the form's root)."""
    out: dict[str, K] = {}
    for path, kind in kinds.items():
        for name in [s for s in path.split("/") if s][1:]:
            if name not in out or rank[kind] > rank[out[name]]:
                out[name] = kind
    return out
