"""Designers' side of the declarations: adding properties, and reading declarations with their versions.

A property added here (``POST /api/v1/registry/datasets/{dataset}/properties``)
or by publishing a form uploaded with ``?declare=text`` becomes a new version
of the dataset's declaration (declare.py). Its name follows the ODK naming
rules, its labels are single lines, and ID numbers, phone numbers and ethnic
groups are always sensitive. A form may declare only plain, non-sensitive
text, and never under a name or label that looks like personal data: such a
property is declared here, with its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.domain.datasets import ALWAYS_SENSITIVE, PropertyType
from server.domain.declaration_rules import from_stored, label_problem, looks_sensitive, name_problem, property_block
from server.errors import ConflictError, NotFoundError, PermissionDeniedError, RuleViolation
from server.registry import declarations
from server.registry.declare import DeclarationChange, check_block, current_block, refused, write_version
from server.registry.models import Dataset, DatasetVersion
from server.registry.service import READ_ROLES

DESIGNERS = frozenset({Role.ADMIN.value, Role.FORM_DESIGNER.value})
PROPERTIES_ENDPOINT = "POST /api/v1/registry/datasets/{dataset}/properties"


def require_designer(user: User) -> None:
    """Only admins and form designers change declarations."""
    if user.role not in DESIGNERS:
        raise PermissionDeniedError("only admins and form designers declare properties", code="registry.forbidden")


def require_declaration_reader(user: User) -> None:
    """Declarations are read by registry readers and by designers."""
    if user.role not in DESIGNERS and user.role not in READ_ROLES:
        raise PermissionDeniedError("your role may not read dataset declarations", code="registry.forbidden")


def _not_found(dataset: str) -> NotFoundError:
    return NotFoundError(f"no dataset {dataset}", code="registry.dataset_not_found", message_zh="数据集不存在")


def _row(session: Session, dataset: str) -> Dataset:
    if dataset not in declarations.in_force(session):  # before any query: the name may be anything
        raise _not_found(dataset)
    row = session.scalar(select(Dataset).where(Dataset.name == dataset, Dataset.version > 0).with_for_update())
    if row is None:
        raise _not_found(dataset)
    return row


def property_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field -> problems of a property as a designer declares it."""
    problems: dict[str, list[str]] = {}
    if (why := name_problem(data.get("name"))) is not None:
        problems["name"] = [why]
    for key in ("label_zh", "label_en"):
        if key in data and (why := label_problem(data[key])) is not None:
            problems[key] = [why]
    ptype = data.get("type")
    if ptype not in {t.value for t in PropertyType}:
        problems["type"] = [f"{ptype!r} is not one of {', '.join(t.value for t in PropertyType)}"]
    elif PropertyType(ptype) in ALWAYS_SENSITIVE and data.get("sensitive") is False:
        problems["sensitive"] = [f"a {ptype} property is always sensitive"]
    return problems


def add_property(session: Session, user: User, dataset: str, data: Mapping[str, Any],
                 *, now: datetime | None = None) -> dict[str, Any]:
    """Declare one property (a new version of the dataset's declaration); the dataset as it now is."""
    require_designer(user)
    if problems := property_problems(data):
        raise RuleViolation("invalid property", errors=problems, code="registry.invalid_property",
                            message_zh="属性声明有误")
    row = _row(session, dataset)
    block = current_block(session, row)
    name = str(data["name"])
    if name in (block.get("properties") or {}):
        raise ConflictError(f"{dataset} already has a property {name}", code="registry.property_exists",
                            message_zh="该数据集已有同名属性", errors={"name": [name]})
    ptype = str(data["type"])
    new_property = property_block(
        ptype, str(data["label_zh"]), str(data.get("label_en") or name),
        sensitive=True if PropertyType(ptype) in ALWAYS_SENSITIVE else bool(data.get("sensitive", False)),
        list=data.get("list"), values=list(data.get("values") or []), dataset=data.get("dataset"))
    new_block = {**block, "properties": {**(block.get("properties") or {}), name: new_property}}
    old = check_block(dataset, block)
    if new_property.get("dataset") and new_property["dataset"] not in declarations.in_force(session):
        raise refused([(f"properties.{name}.dataset", f"{new_property['dataset']!r} is not a declared dataset")])
    write_version(session, dataset, new_block, source="api", actor_id=user.id, now=now, row=row, old=old)
    return dataset_detail(session, dataset)


def declare_form_properties(session: Session, user: User | None, dataset: str, labels: Mapping[str, str],
                            *, now: datetime | None = None) -> DeclarationChange | None:
    """Declare a published form's undeclared ``save_to`` properties as plain text (as ODK Central does)."""
    row = _row(session, dataset)
    block = current_block(session, row)
    existing = block.get("properties") or {}
    new = {name: label for name, label in labels.items() if name not in existing}
    if not new:
        return None
    problems = [(f"properties.{n}", why) for n in new if (why := text_property_problem(n, new[n])) is not None]
    if problems:
        raise refused(problems, "these properties must be declared with their type first")
    added = {n: property_block(PropertyType.TEXT.value, label, n) for n, label in new.items()}
    new_block = {**block, "properties": {**existing, **added}}
    return write_version(session, dataset, new_block, source="form", actor_id=user.id if user else None, now=now,
                         row=row, old=check_block(dataset, block))


def text_property_problem(name: str, label: str | None) -> str | None:
    """Why a form may not declare ``name`` as plain text, or None."""
    if (why := name_problem(name)) is not None:
        return why
    if label is not None and (why := label_problem(label)) is not None:
        return f"label: {why}"
    if looks_sensitive(name, label):
        return (f"{name!r} looks like personal data (ID, phone, ethnic group): declare it with its type "
                f"through {PROPERTIES_ENDPOINT}")
    return None


_SUMMARY = ("name", "version", "updated_at", "label_zh", "label_en", "label_property", "properties", "identity",
            "placement", "merge_requires_approval")


def _summary(session: Session, row: Dataset) -> dict[str, Any]:
    spec = declarations.catalog(session).get(row.name)
    return {**{key: getattr(row, key) for key in _SUMMARY},
            "merge_after_review": bool(spec is not None and spec.merge_after_review)}


def list_datasets(session: Session) -> list[dict[str, Any]]:
    """Every declared dataset with its version in force."""
    rows = session.scalars(select(Dataset).where(Dataset.version > 0).order_by(Dataset.name))
    return [_summary(session, row) for row in rows]


def dataset_detail(session: Session, dataset: str) -> dict[str, Any]:
    """A dataset's declaration in force and every version of it (oldest first)."""
    in_force = declarations.in_force(session).get(dataset)
    row = session.get(Dataset, in_force.dataset_id) if in_force is not None else None
    if row is None:
        raise _not_found(dataset)
    versions = []
    for version in session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == row.id)
                                   .order_by(DatasetVersion.version)):
        versions.append({"version": version.version, "source": version.source, "created_at": version.created_at,
                         "created_by": version.created_by,
                         "properties": list(from_stored(version.declaration).get("properties") or {})})
    return {**_summary(session, row), "versions": versions}

