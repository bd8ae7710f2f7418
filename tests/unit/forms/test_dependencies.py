"""The expression dependency graph: which computed values read which answers."""

from __future__ import annotations

from typing import Any

from server.forms.dependencies import derived_values, names_read, value_expressions

RANK = {"phone": 1, "id": 2}


def _field(path: str, calculation: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": path.rsplit("/", 1)[-1], "path": path, "calculation": calculation, "default": None, **extra}


def _form(*fields: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    group = {"name": "identity", "path": "/data/identity", "calculation": None,
             "children": [f for f in fields if f["path"].startswith("/data/identity/")]}
    rest = [f for f in fields if not f["path"].startswith("/data/identity/")]
    return {"root": "data", "fields": [group, *rest], "entities": {"label": label} if label else None}


def test_names_read_are_refs_and_the_last_named_step_of_paths() -> None:
    assert names_read("concat(${name}, ' ', ${id_number})") == {"name", "id_number"}
    assert names_read("/data/identity/id_number") == {"id_number"}
    assert names_read("../id_number") == {"id_number"}
    assert names_read("count(/data/identity/*)") == {"identity"}  # everything under the group
    assert names_read("string-length(.)") == set()
    assert names_read("concat(") == set()  # unparseable: checked at upload, nothing to follow here


def test_derived_values_follow_calculations_transitively_with_the_strongest_source() -> None:
    form = _form(
        _field("/data/identity/id_number"),
        _field("/data/identity/phone"),
        _field("/data/identity/full_name"),
        _field("/data/card", "concat(${full_name}, ${id_number})"),
        _field("/data/card_again", "concat(${card}, '#')"),
        _field("/data/contact", "concat(/data/identity/full_name, ${phone})"),
        _field("/data/both", "concat(${contact}, ${card_again})"),
        _field("/data/name_only", "concat(/data/identity/full_name, '!')"),  # a path through the group: not it
        _field("/data/whole_group", "string(${identity})"),
        _field("/data/defaulted", None, default="${id_number}"),
        _field("/data/meta/instanceName", "concat('登记-', ${full_name})"),
        label="concat(${full_name}, ' ', ${id_number})",
    )
    sources = {"/data/identity/id_number": "id", "/data/identity/phone": "phone"}
    assert derived_values(form, sources, RANK) == {
        "/data/card": "id", "/data/card_again": "id", "/data/contact": "phone", "/data/both": "id",
        "/data/whole_group": "id", "/data/defaulted": "id", "/data/meta/entity/label": "id",
    }


def test_value_expressions_name_the_entity_label_and_dynamic_defaults_only() -> None:
    form = _form(_field("/data/identity/id_number"), _field("/data/plain", None, default="abc"),
                 _field("/data/dyn", None, default="${id_number}"), label="${full_name}")
    assert value_expressions(form) == {"/data/dyn": "${id_number}", "/data/meta/entity/label": "${full_name}"}
