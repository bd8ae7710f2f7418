"""Masking of sensitive answers, and of values computed from them, when a submission's data is shown.

A submission's data tree holds what the grid worker typed, resident ID and
phone numbers included. Which answers are sensitive follows from the form:
a question marked ``cn_resident_id``, or one saved to a dataset property that
is sealed (ID number, phone) or is the ethnicity code, as the compiled form
records it (``entities.sensitive``, pinned from the declarations in force when
it was compiled; a property's type never changes once it holds data). A value the form
computes from such an answer is sensitive too, transitively (forms/
dependencies.py): a calculation, the instance name, the entity label
(``concat(${name}, ' ', ${id_number})`` is a common habit), each taking the
kind of the strongest source it reads. Whoever may see full values (the one
rule in ``server.registry.rules``) sees them, and the read is audited with the
paths revealed; everyone else sees them masked. A computed value is masked by
masking each source value it contains ("阿依古丽 6501**********2318"); one
that contains none literally (a checksum, a birth date cut out of the ID
number) is masked whole.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from server.accounts.models import User
from server.domain.datasets import PropertyType, city_datasets
from server.forms.dependencies import derived_values
from server.sealing import masking

WHOLE_MASK = "**"
# The kind a computed value takes from its sources: the strongest one it reads.
RANK = {PropertyType.ETHNICITY_CODE: 1, PropertyType.PHONE: 2, PropertyType.CN_RESIDENT_ID: 3}
_DERIVED: dict[tuple[str, str, str], dict[str, PropertyType]] = {}


def sensitive_paths(definition: Mapping[str, Any]) -> dict[str, PropertyType]:
    """Absolute field paths of sensitive answers, with the kind of value they hold."""
    found: dict[str, PropertyType] = {}

    def walk(fields: Any) -> None:
        for field in fields or ():
            if field.get("datatype") == "cn_resident_id":
                found[field["path"]] = PropertyType.CN_RESIDENT_ID
            walk(field.get("children"))

    walk(definition.get("fields"))
    entities = definition.get("entities") or {}
    if "sensitive" in entities:  # pinned when the form was compiled against the declarations in force
        for path, kind in entities["sensitive"].items():
            found.setdefault(path, PropertyType(kind))
        return found
    # Compiled before sensitivity was pinned: those forms saved only to properties of the city's file.
    spec = city_datasets().get(entities.get("dataset") or "")
    for path, prop_name in (entities.get("save_to") or {}).items():
        prop = spec.properties.get(prop_name) if spec else None
        if prop is not None and (prop.type in masking.SEALED_TYPES or prop.type is PropertyType.ETHNICITY_CODE):
            found.setdefault(path, prop.type)
    return found


def derived_paths(definition: Mapping[str, Any]) -> dict[str, PropertyType]:
    """Absolute paths of values computed from sensitive answers, with the kind of their strongest source.

    Cached per form version (form id, version and definition digest) like the validation plan.
    """
    key = (str(definition.get("form_id")), str(definition.get("version")), str(definition.get("digest") or ""))
    found = _DERIVED.get(key) if key[2] else None
    if found is None:
        found = derived_values(definition, sensitive_paths(definition), RANK)
        if key[2]:
            if len(_DERIVED) > 256:
                _DERIVED.clear()
            _DERIVED[key] = found
    return found


_PLAIN_SECRET = frozenset("0123456789Xx+-() ")


def mask_within(value: str, secrets: Iterable[tuple[PropertyType, str]]) -> tuple[str, bool]:
    """The value with every secret it contains masked, and whether it contained any."""
    out, found = value, False
    for kind, secret in sorted(set(secrets), key=lambda item: -len(item[1])):
        if not secret:
            continue
        if _PLAIN_SECRET.issuperset(secret) and secret.lower() not in out.lower():
            continue  # digits (and x) match case-insensitively only themselves: no pattern to build
        pattern = re.compile(re.escape(secret), re.IGNORECASE)
        if pattern.search(out):
            out, found = pattern.sub(masking.mask_value(kind, secret), out), True
    return out, found


def conceal(value: str, secrets: Iterable[tuple[PropertyType, str]]) -> str:
    """A computed value with every source value it contains masked; masked whole when it contains none."""
    out, found = mask_within(value, secrets)
    return out if found else WHOLE_MASK


def body_of(tree: dict[str, Any], definition: Mapping[str, Any]) -> dict[str, Any]:
    """The root's content: the tree is stored either with its root element or as that content."""
    root = str(definition.get("root") or "data")
    inner = tree.get(root)
    return inner if set(tree) == {root} and isinstance(inner, dict) else tree


def _steps(path: str) -> list[str]:
    return [s for s in path.split("/") if s][1:]  # drop the form's root name


def values_at(node: Any, steps: list[str]) -> list[Any]:
    """Every value at a path below ``node`` (all instances of repeats)."""
    if isinstance(node, list):
        return [v for item in node for v in values_at(item, steps)]
    if not steps:
        return [node]
    if not isinstance(node, dict) or steps[0] not in node:
        return []
    return values_at(node[steps[0]], steps[1:])


def secrets_of(body: Mapping[str, Any], definition: Mapping[str, Any],
               kinds: Iterable[PropertyType]) -> list[tuple[PropertyType, str]]:
    """The (opened) values of the sensitive answers of these kinds, for ``conceal``."""
    wanted = set(kinds)
    return [(kind, str(value)) for path, kind in sensitive_paths(definition).items() if kind in wanted
            for value in values_at(body, _steps(path)) if value not in (None, "") and not isinstance(value, dict)]


def _apply(node: Any, steps: list[str], fn: Any, trail: str) -> None:
    if isinstance(node, list):
        for item in node:
            _apply(item, steps, fn, trail)
        return
    if not isinstance(node, dict) or steps[0] not in node:
        return
    if len(steps) > 1:
        _apply(node[steps[0]], steps[1:], fn, f"{trail}/{steps[0]}")
        return
    value = node[steps[0]]
    if value not in (None, "") and not isinstance(value, (dict, list)):
        node[steps[0]] = fn(f"{trail}/{steps[0]}", str(value))


def shown_data(data: Mapping[str, Any], definition: Mapping[str, Any], user: User) -> tuple[dict[str, Any], list[str]]:
    """The data tree as ``user`` may see it, and the sensitive paths shown in full."""
    paths, derived = sensitive_paths(definition), derived_paths(definition)
    tree = copy.deepcopy(dict(data))
    if not paths:
        return tree, []
    body = body_of(tree, definition)
    prefix = f"/{definition.get('root') or 'data'}"
    full = masking.sees_full_values(user.role, user.department)
    may_see_ethnicity = masking.sees_ethnicity(user.role, user.department)
    hidden = {k for k in RANK if not (may_see_ethnicity if k is PropertyType.ETHNICITY_CODE else full)}
    secrets = secrets_of(body, definition, hidden)  # read before anything is masked
    revealed: list[str] = []

    def masked(kind: PropertyType, computed: bool) -> Any:
        def show(trail: str, value: str) -> str:
            if kind not in hidden:
                if kind in masking.SEALED_TYPES:
                    revealed.append(trail)
                return value
            return conceal(value, secrets) if computed else masking.mask_value(kind, value)
        return show

    for path, kind in paths.items():
        if steps := _steps(path):
            _apply(body, steps, masked(kind, False), prefix)
    for path, kind in derived.items():
        if steps := _steps(path):
            _apply(body, steps, masked(kind, True), prefix)
    return tree, revealed
