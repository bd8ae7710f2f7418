"""Sensitive answers sealed at rest in the submission itself.

The registry keeps ID and phone numbers only as ciphertext; so does the
submission they came in. At intake, every answer the form marks as a resident
ID or saves to a sealed dataset property (``privacy.sensitive_paths`` with a
type in ``masking.SEALED_TYPES``), and every value the form computes from one
(``privacy.derived_paths``: calculations, the instance name, the entity
label), is replaced in the stored data tree by
``{"$sealed": "<key id>:<base64>"}``: AES-GCM under the registry's key, with
the instance id and the field's path as associated data, so a token cannot be
moved to another field or submission. The raw payload file (the XML or JSON
exactly as sent) is sealed whole before it reaches the media store.

Readers that need the values (validation, merge, the masked detail) open the
tree with ``open_answers``; nothing else ever sees them. Ethnicity stays
readable, as in the registry: the monthly statistics count by it; it is masked
in responses by role.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from server.domain.datasets import PropertyType
from server.sealing import masking
from server.sealing.crypto import Sealer
from server.submissions.privacy import body_of, derived_paths, sensitive_paths

SEALED = "$sealed"
_Transform = Callable[[str, Any], Any]
_PATHS: dict[int, tuple[Mapping[str, Any], tuple[str, ...]]] = {}


def sealed_paths(definition: Mapping[str, Any]) -> tuple[str, ...]:
    """Absolute paths of the answers sealed at rest (cached per loaded definition)."""
    hit = _PATHS.get(id(definition))
    if hit is not None and hit[0] is definition:
        return hit[1]
    kinds = {**sensitive_paths(definition), **derived_paths(definition)}
    paths = tuple(path for path, kind in kinds.items()
                  if kind in masking.SEALED_TYPES or kind is PropertyType.CN_RESIDENT_ID)
    if len(_PATHS) > 256:
        _PATHS.clear()
    _PATHS[id(definition)] = (definition, paths)
    return paths


def seal_answers(data: Mapping[str, Any], definition: Mapping[str, Any], sealer: Sealer,
                 instance_id: str) -> dict[str, Any]:
    """A copy of the data tree with its sensitive answers sealed."""
    def seal(path: str, value: Any) -> Any:
        if value in (None, "") or _is_sealed(value):
            return value
        return {SEALED: sealer.seal(_aad(instance_id, path), str(value))}

    return _transform(data, definition, seal)


def open_answers(data: Mapping[str, Any], definition: Mapping[str, Any], sealer: Sealer,
                 instance_id: str) -> dict[str, Any]:
    """A copy of the stored data tree with its sealed answers opened."""
    def unseal(path: str, value: Any) -> Any:
        return sealer.open(_aad(instance_id, path), value[SEALED]) if _is_sealed(value) else value

    return _transform(data, definition, unseal)


def reseal_answers(data: Mapping[str, Any], definition: Mapping[str, Any], sealer: Sealer,
                   instance_id: str) -> dict[str, Any] | None:
    """The stored tree with every token under the current key, or None when nothing needed it."""
    changed = False

    def reseal(path: str, value: Any) -> Any:
        nonlocal changed
        if _is_sealed(value) and sealer.needs_reseal(value[SEALED]):
            changed = True
            return {SEALED: sealer.reseal(_aad(instance_id, path), value[SEALED])}
        return value

    tree = _transform(data, definition, reseal)
    return tree if changed else None


def seal_raw(raw: bytes, sealer: Sealer, instance_id: str) -> bytes:
    """The raw payload as stored in the media store."""
    return sealer.seal_bytes(_aad(instance_id, "#raw"), raw)


def open_raw(stored: bytes, sealer: Sealer, instance_id: str) -> bytes:
    """The raw payload exactly as it was received."""
    return sealer.open_bytes(_aad(instance_id, "#raw"), stored)


def _aad(instance_id: str, path: str) -> str:
    return f"submission:{instance_id}:{path}"


def _is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED} and isinstance(value[SEALED], str)


def _transform(data: Mapping[str, Any], definition: Mapping[str, Any], fn: _Transform) -> dict[str, Any]:
    tree = copy.deepcopy(dict(data))
    paths = sealed_paths(definition)
    if not paths:
        return tree
    body = body_of(tree, definition)
    for path in paths:
        steps = [s for s in path.split("/") if s][1:]
        if steps:
            _apply(body, steps, path, fn)
    return tree


def _apply(node: Any, steps: list[str], path: str, fn: _Transform) -> None:
    if isinstance(node, list):
        for item in node:
            _apply(item, steps, path, fn)
        return
    if not isinstance(node, dict) or steps[0] not in node:
        return
    if len(steps) > 1:
        _apply(node[steps[0]], steps[1:], path, fn)
        return
    node[steps[0]] = fn(path, node[steps[0]])
