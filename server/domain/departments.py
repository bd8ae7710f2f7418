"""Load and check forms/departments.yaml: departments, case kinds and each department's purpose.

A purpose is what a department's duty lets its accounts read: which datasets,
which of their properties, and which cases (followups records). It is pure
data checked against the dataset declarations; ``server.scope`` enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from server.domain.datasets import DatasetSpec, city_datasets

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "forms" / "departments.yaml"
CASE_DATASET = "followups"
SELF = "self"  # in a case condition: the department's own code
ALL = "all"  # in a purpose's datasets: every property


class DutiesDeclarationError(ValueError):
    """forms/departments.yaml is not valid; ``problems`` lists (path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


@dataclass(frozen=True)
class Department:
    """A department cases are routed to."""

    code: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class CaseKind:
    """A kind of case and the days a department has to resolve one."""

    code: str
    label_zh: str
    label_en: str
    due_days: int


@dataclass(frozen=True)
class Purpose:
    """What one department may read: datasets -> properties, and which cases."""

    department: str
    label_zh: str
    datasets: Mapping[str, frozenset[str]]
    cases: tuple[Mapping[str, frozenset[str]], ...]

    def properties(self, dataset: str) -> frozenset[str] | None:
        """The readable properties of a dataset, or None when the dataset is outside the purpose."""
        return self.datasets.get(dataset)

    def reads_case(self, properties: Mapping[str, Any]) -> bool:
        """True when a case with these properties is one this purpose may read."""
        return any(all(properties.get(k) in values for k, values in cond.items()) for cond in self.cases)


@dataclass(frozen=True)
class Duties:
    """The whole declaration."""

    departments: Mapping[str, Department]
    case_kinds: Mapping[str, CaseKind]
    purposes: Mapping[str, Purpose]


def _label(raw: Any, path: str, problems: list[tuple[str, str]]) -> tuple[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("zh"), str) or not isinstance(raw.get("en"), str):
        problems.append((path, "expected {zh: …, en: …}"))
        return "", ""
    return raw["zh"], raw["en"]


def _purpose(
    code: str, raw: Any, datasets: Mapping[str, DatasetSpec], problems: list[tuple[str, str]]
) -> Purpose | None:
    path = f"purposes.{code}"
    if not isinstance(raw, dict):
        problems.append((path, "expected a mapping"))
        return None
    label = raw.get("label") or {}
    readable: dict[str, frozenset[str]] = {}
    for name, props in (raw.get("datasets") or {}).items():
        spec = datasets.get(name)
        if spec is None:
            problems.append((f"{path}.datasets.{name}", "not a declared dataset"))
            continue
        if props == ALL:
            readable[name] = frozenset(spec.properties)
            continue
        if not isinstance(props, list) or not props:
            problems.append((f"{path}.datasets.{name}", "expected `all` or a list of properties"))
            continue
        unknown = [p for p in props if p not in spec.properties]
        if unknown:
            problems.append((f"{path}.datasets.{name}", f"not declared properties: {', '.join(map(str, unknown))}"))
        readable[name] = frozenset(str(p) for p in props if p in spec.properties)
    cases: list[Mapping[str, frozenset[str]]] = []
    case_spec = datasets.get(CASE_DATASET)
    for i, cond in enumerate(raw.get("cases") or []):
        if not isinstance(cond, dict) or not cond:
            problems.append((f"{path}.cases[{i}]", "expected {property: value}"))
            continue
        parsed: dict[str, frozenset[str]] = {}
        for key, value in cond.items():
            if case_spec is None or key not in case_spec.properties:
                problems.append((f"{path}.cases[{i}].{key}", f"not a property of {CASE_DATASET}"))
            values = value if isinstance(value, list) else [value]
            parsed[str(key)] = frozenset(code if v == SELF else str(v) for v in values)
        cases.append(parsed)
    if cases and CASE_DATASET not in readable:
        problems.append((f"{path}.cases", f"the purpose reads cases but not the {CASE_DATASET} dataset"))
    return Purpose(code, str(label.get("zh", code)), readable, tuple(cases))


def parse_duties(document: Any, datasets: Mapping[str, DatasetSpec]) -> Duties:
    """Check a parsed departments document against the datasets; raise listing every problem."""
    problems: list[tuple[str, str]] = []
    if not isinstance(document, dict) or document.get("version") != 1:
        raise DutiesDeclarationError([("(document)", "expected a mapping with version: 1")])
    departments: dict[str, Department] = {}
    for code, raw in (document.get("departments") or {}).items():
        departments[str(code)] = Department(str(code), *_label(raw, f"departments.{code}", problems))
    kinds: dict[str, CaseKind] = {}
    for code, raw in (document.get("case_kinds") or {}).items():
        days = raw.get("due_days") if isinstance(raw, dict) else None
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            problems.append((f"case_kinds.{code}.due_days", "expected a whole number of days ≥ 1"))
            days = 1
        kinds[str(code)] = CaseKind(str(code), *_label(raw, f"case_kinds.{code}", problems), due_days=days)
    purposes: dict[str, Purpose] = {}
    for code, raw in (document.get("purposes") or {}).items():
        if code not in departments:
            problems.append((f"purposes.{code}", "not a declared department"))
        if (purpose := _purpose(str(code), raw, datasets, problems)) is not None:
            purposes[str(code)] = purpose
    case_spec = datasets.get(CASE_DATASET)
    if case_spec is not None:
        declared = set(case_spec.properties["kind"].values) if "kind" in case_spec.properties else set()
        if declared != set(kinds):
            problems.append(("case_kinds", f"must be the {CASE_DATASET} kinds: {', '.join(sorted(declared))}"))
    if problems:
        raise DutiesDeclarationError(problems)
    return Duties(departments, kinds, purposes)


def load_duties(path: Path | str = DEFAULT_PATH, datasets: Mapping[str, DatasetSpec] | None = None) -> Duties:
    """Read and check a departments.yaml file."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DutiesDeclarationError([("(document)", f"not valid YAML: {exc}")]) from exc
    return parse_duties(document, datasets if datasets is not None else city_datasets())


@cache
def duties() -> Duties:
    """The city's declaration (read once per process)."""
    return load_duties()
