"""Masking of sensitive answers when a submission's data is shown.

A submission's data tree holds what the grid worker typed, resident ID and
phone numbers included. Which answers are sensitive follows from the form:
a question marked ``cn_resident_id``, or one saved to a dataset property that
is sealed (ID number, phone) or is the ethnicity code, as the compiled form
records (``entities.sensitive``, pinned from the declarations in force when
it was compiled; a property's type never changes once it holds data). Whoever may see full
values (the one rule in ``server.registry.rules``) sees them, and the read is
audited with the paths revealed; everyone else sees them masked.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from server.accounts.models import User
from server.domain.datasets import DatasetSpec, PropertyType, load_datasets
from server.registry import rules


@lru_cache(maxsize=1)
def _datasets() -> Mapping[str, DatasetSpec]:
    """forms/datasets.yaml, for definitions compiled before they pinned their sensitive answers."""
    return load_datasets()


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
        found.update({path: PropertyType(kind) for path, kind in entities["sensitive"].items()})
        return found
    # Compiled before sensitivity was pinned: those forms saved only to properties of the city's file.
    spec = _datasets().get(entities.get("dataset") or "")
    for path, prop_name in (entities.get("save_to") or {}).items():
        prop = spec.properties.get(prop_name) if spec else None
        if prop is not None and (prop.type in rules.SEALED_TYPES or prop.type is PropertyType.ETHNICITY_CODE):
            found[path] = prop.type
    return found


def _apply(node: Any, steps: list[str], kind: PropertyType, mask: bool, trail: str, revealed: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _apply(item, steps, kind, mask, trail, revealed)
        return
    if not isinstance(node, dict) or steps[0] not in node:
        return
    if len(steps) > 1:
        _apply(node[steps[0]], steps[1:], kind, mask, f"{trail}/{steps[0]}", revealed)
        return
    value = node[steps[0]]
    if value in (None, ""):
        return
    if mask:
        node[steps[0]] = rules.mask_value(kind, str(value))
    elif kind in rules.SEALED_TYPES:
        revealed.append(f"{trail}/{steps[0]}")


def shown_data(data: Mapping[str, Any], definition: Mapping[str, Any], user: User) -> tuple[dict[str, Any], list[str]]:
    """The data tree as ``user`` may see it, and the sensitive paths shown in full."""
    paths = sensitive_paths(definition)
    tree = copy.deepcopy(dict(data))
    if not paths:
        return tree, []
    root = str(definition.get("root") or "data")
    # The tree is stored either with its root element or as the root's content.
    body = tree[root] if set(tree) == {root} and isinstance(tree[root], dict) else tree
    prefix = f"/{root}"
    full = rules.sees_full_values(user.role, user.department)
    may_see_ethnicity = rules.sees_ethnicity(user.role, user.department)
    revealed: list[str] = []
    for path, kind in paths.items():
        steps = [s for s in path.split("/") if s][1:]  # drop the form's root name
        mask = not may_see_ethnicity if kind is PropertyType.ETHNICITY_CODE else not full
        if steps:
            _apply(body, steps, kind, mask, prefix, revealed)
    return tree, revealed
