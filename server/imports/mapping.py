"""Which column of a file fills which property: the declared mapping, checked against the header.

A mapping is YAML, either ``{columns: {header: property}, ignore: [header]}``
or just the ``header: property`` pairs. A file whose headers already are the
dataset's property names needs none. Besides properties a column may be a
placement field: ``grid`` (a grid code), or ``lon`` and ``lat``. Every header
must be mapped, a property or ignored; every mapped column must be present;
required properties and a placement must be covered. Problems are one 422 with
the column names, before any row is read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import yaml

from server.domain.datasets import DatasetSpec
from server.errors import RuleViolation

PLACEMENT_FIELDS = ("grid", "lon", "lat")


@dataclass(frozen=True)
class ColumnPlan:
    """Cell index → target (a property name or a placement field), in header order."""

    targets: tuple[tuple[int, str, str], ...]  # (index, header, target)
    width: int  # how many columns the header has: cells past it are stray

    def header_of(self, target: str) -> str:
        """The file's header for a target (for locating a problem)."""
        return next((h for _, h, t in self.targets if t == target), target)


def parse_mapping(raw: bytes | str | None) -> dict[str, Any]:
    """The mapping document as ``{columns: {...}, ignore: [...]}``; 422 when it is not one."""
    if raw in (None, b"", ""):
        return {"columns": {}, "ignore": []}
    try:
        document = yaml.safe_load(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RuleViolation("the mapping is not valid YAML", code="import.bad_mapping",
                            message_zh="列映射不是有效的 YAML", errors={"mapping": [str(exc)[:200]]}) from exc
    if not isinstance(document, dict):
        raise RuleViolation("the mapping must be a map of column to property", code="import.bad_mapping",
                            message_zh="列映射应为“列名: 属性名”的映射", errors={"mapping": ["not a map"]})
    columns = document.get("columns") if "columns" in document else {k: v for k, v in document.items() if k != "ignore"}
    ignore = document.get("ignore") or []
    if not isinstance(columns or {}, dict) or not isinstance(ignore, list):
        raise RuleViolation("columns must be a map and ignore a list", code="import.bad_mapping",
                            message_zh="columns 应为映射，ignore 应为列表", errors={"mapping": ["shape"]})
    return {"columns": {str(k).strip(): str(v).strip() for k, v in (columns or {}).items()},
            "ignore": [str(h).strip() for h in ignore]}


def importable(spec: DatasetSpec) -> set[str]:
    """Properties a file may set (not the ones the server derives, not links to other records)."""
    return {p.name for p in spec.properties.values() if p.derive is None and p.type.value != "entity"}


def plan_columns(spec: DatasetSpec, headers: list[str], mapping: dict[str, Any]) -> ColumnPlan:
    """Map the header to targets, or one 422 listing every column problem."""
    columns: dict[str, str] = mapping.get("columns") or {}
    ignore = set(mapping.get("ignore") or [])
    allowed = importable(spec) | set(PLACEMENT_FIELDS)
    bad_targets = sorted(f"{h} → {t}" for h, t in columns.items() if t not in allowed)
    if bad_targets:
        raise RuleViolation("the mapping names properties the dataset does not have", code="import.bad_mapping",
                            message_zh="列映射指向了数据集中不存在（或不可导入）的属性",
                            errors={"mapping": bad_targets})
    named = [h for h in headers if h]
    doubled = sorted(h for h, n in Counter(named).items() if n > 1)
    if doubled:
        raise RuleViolation("the header names a column twice", code="import.duplicate_columns",
                            message_zh="表头中有重复的列名", errors={"columns": doubled})
    targets: list[tuple[int, str, str]] = []
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header or header in ignore:
            continue
        target = columns.get(header, header)
        if target in allowed:
            targets.append((index, header, target))
        else:
            unknown.append(header)
    if unknown:
        raise RuleViolation("the file has columns that are neither mapped nor properties",
                            code="import.unknown_columns",
                            message_zh="文件中有未映射、也不是数据集属性的列（可在映射中列入 ignore）",
                            errors={"columns": unknown})
    _check_missing(spec, named, columns, [t for _, _, t in targets])
    doubled_targets = sorted(t for t, n in Counter(t for _, _, t in targets).items() if n > 1)
    if doubled_targets:
        raise RuleViolation("two columns fill the same property", code="import.bad_mapping",
                            message_zh="两列映射到了同一属性", errors={"mapping": doubled_targets})
    return ColumnPlan(tuple(targets), len(headers))


def _check_missing(spec: DatasetSpec, headers: list[str], columns: dict[str, str], targets: list[str]) -> None:
    missing = sorted(h for h in columns if h not in headers)
    required = {p.name for p in spec.properties.values() if p.required and p.derive is None} | {spec.label_property}
    missing += sorted(required - set(targets))
    has = set(targets)
    if ("lon" in has) != ("lat" in has):
        missing.append("lat" if "lon" in has else "lon")
    elif spec.placement.follows is None and not ({"grid", spec.placement.geopoint} & has or {"lon", "lat"} <= has):
        missing.append("grid | lon+lat")
    if missing:
        raise RuleViolation("the file lacks required columns", code="import.missing_columns",
                            message_zh="文件缺少必需的列", errors={"columns": missing})
