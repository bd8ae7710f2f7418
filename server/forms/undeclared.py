"""The ``save_to`` properties a form names that its dataset lacks.

Uploaded with ``?declare=text``, such a form compiles as if they were plain
text properties, and publishing declares them (server/forms/service.py); each
is reported with its survey row so a refusal is located.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.domain.datasets import DatasetSpec
from server.forms.workbook_problems import row_number


def undeclared_properties(defn: Any, datasets: Mapping[str, DatasetSpec] | None
                          ) -> tuple[str | None, list[tuple[int, str, str | None]]]:
    """The form's dataset and its ``save_to`` names that dataset lacks, as (sheet row, name, label)."""
    rows = [r for r in (defn.entities or []) if r]
    name = str(rows[0].get("list_name", "")).strip() if rows else ""
    spec = datasets.get(name) if datasets and name else None
    if spec is None:
        return None, []
    found = []
    for i, row in enumerate(defn.survey or []):
        save_to = str(row.get("save_to", "")).strip()
        if save_to and save_to not in spec.properties:
            found.append((row_number(i), save_to, _row_label(row)))
    return name, found


def _row_label(row: Mapping[str, Any]) -> str | None:
    """A survey row's label, Chinese first when it has several languages."""
    labels = {str(k): v for k, v in row.items() if str(k).startswith("label") and v}
    for key, value in labels.items():
        if isinstance(value, Mapping):
            labels.pop(key)
            labels.update({f"label::{k}": v for k, v in value.items() if v})
            break
    if not labels:
        return None
    chosen = next((v for k, v in labels.items() if "zh" in k.lower() or "中文" in k), next(iter(labels.values())))
    return str(chosen).strip() or None

