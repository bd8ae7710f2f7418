"""The compiled form: a frozen ``CompiledForm`` and the language-neutral JSON built from pyxform's survey.

The JSON (``CompiledForm.definition``) is the contract shared by the server-side
validator and the offline web client; ``compiled_form.schema.json`` documents it.
Every field carries the same keys (absent settings are ``null``) so a client can
render it without probing; ``refs`` (``${name}`` -> absolute path) and
``repeats`` (absolute repeat paths) are precomputed so nobody walks the tree to
build an expression context. A name used in several groups has no entry in
``refs``: the workbook checks refuse any ``${name}`` to it, as pyxform does.
A ``select_one ${question}`` offers the answers given so far to a question in a
repeat: its ``choices_from`` is that question's path and ``list_name`` is null.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from server.domain.datasets import ALWAYS_SENSITIVE, DatasetSpec, PropertyType

SCHEMA_VERSION = 1
_TYPE_MAP = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select one external": "select_one_external",
    "photo": "image",
    "trigger": "acknowledge",
}
# The types of compiled_form.schema.json, in the order an older pyxform spelling is matched to them.
CANONICAL_TYPES = (
    "text", "integer", "decimal", "date", "time", "dateTime", "geopoint", "geotrace", "geoshape", "select_one",
    "select_multiple", "select_one_from_file", "select_multiple_from_file", "select_one_external", "rank", "image",
    "audio", "video", "file", "note", "calculate", "hidden", "acknowledge", "barcode", "range", "osm",
    "xml-external", "csv-external", "start", "end", "today", "deviceid", "username", "phonenumber", "subscriberid",
    "simserial", "email", "audit", "start-geopoint", "background-audio", "background-geopoint", "group", "repeat",
)
_BIND_TYPES = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date", "dateTime": "dateTime",
               "geopoint": "geopoint", "binary": "file"}
META_TYPES = frozenset({
    "start", "end", "today", "deviceid", "username", "phonenumber", "subscriberid", "simserial", "email",
    "audit", "start-geopoint", "background-audio", "background-geopoint",
})
_FILE_SUFFIXES = (".csv", ".xml", ".geojson")
_SKIPPED_META = frozenset({"entity"})
_PARAM_RE = re.compile(r"([\w\-]+)\s*=\s*(\S+)")
_REPEAT_ITEMSET_RE = re.compile(r"^\$\{\s*([^\W\d][\w.\-]*)\s*\}$")


@dataclass(frozen=True)
class FormEntities:
    """What a form does to a registry dataset: its name and the actions ('create', 'update')."""

    dataset: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class CompiledForm:
    """A compiled XLSForm: identity, the JSON contract, the XForm for ODK Collect and what it needs."""

    form_id: str
    version: str
    title: str
    default_language: str
    languages: tuple[str, ...]
    definition: Mapping[str, Any] = field(repr=False, hash=False)
    xform_xml: str = field(repr=False)
    media_files: tuple[str, ...] = ()
    entities: FormEntities | None = None
    version_derived: bool = False
    warnings: tuple[str, ...] = ()
    # save_to properties the dataset lacks, as (survey row, name, label): only with ``declare_unknown``.
    undeclared: tuple[tuple[int, str, str | None], ...] = ()


def texts(value: Any, default_language: str) -> dict[str, str] | None:
    """A pyxform label/hint/message (str or {lang: text}) as {lang: text}, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {default_language: str(value)}


def parse_parameters(value: Any) -> dict[str, str]:
    """pyxform parameters ('max-pixels=1600' or a dict) as {name: value}."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        return dict(_PARAM_RE.findall(value))
    return {}


def flag(value: Any) -> bool | str:
    """A bind flag (required, readonly): True/False for yes/no spellings, else the expression text."""
    if value is None:
        return False
    text = str(value).strip()
    low = text.lower()
    if low in ("", "no", "false", "false()"):
        return False
    if low in ("yes", "true", "true()"):
        return True
    return text


class _Builder:
    """Walks pyxform's survey JSON once, producing fields, refs, repeats and media."""

    def __init__(self, default_language: str, dataset: DatasetSpec | None, refs: dict[str, str]) -> None:
        self.lang = default_language
        self.dataset = dataset
        self.refs = refs
        self.repeats: list[str] = []
        self.media: dict[str, None] = {}
        self.languages: dict[str, None] = {default_language: None}
        self.save_to: dict[str, str] = {}
        self.sensitive: dict[str, str] = {}

    def _texts(self, value: Any) -> dict[str, str] | None:
        out = texts(value, self.lang)
        if out:
            self.languages.update(dict.fromkeys(out))
        return out

    def fields(self, children: Sequence[Mapping[str, Any]], parent: str) -> list[dict[str, Any]]:
        out = []
        for child in children:
            if child.get("type") in _SKIPPED_META or child.get("type") == "attribute":
                continue
            out.append(self.field(child, parent))
        return out

    def field(self, node: Mapping[str, Any], parent: str) -> dict[str, Any]:
        name = str(node["name"])
        path = f"{parent}/{name}"
        bind: Mapping[str, Any] = node.get("bind") or {}
        control: Mapping[str, Any] = node.get("control") or {}
        ftype = self._type(node)
        media = _media(node.get("media"))
        for value in media.values():
            for fname in (value.values() if isinstance(value, Mapping) else [value]):
                self.media[str(fname)] = None
        if ftype.endswith("_from_file"):
            self.media[str(node["itemset"])] = None
        save_to = bind.get("entities:saveto")
        if save_to:
            self.save_to[path] = str(save_to)
        datatype = bind.get("gridreg:datatype")
        prop = self.dataset.properties.get(str(save_to)) if save_to and self.dataset is not None else None
        if prop is not None and prop.type in ALWAYS_SENSITIVE:
            self.sensitive[path] = prop.type.value
        if datatype is None and prop is not None and prop.type is PropertyType.CN_RESIDENT_ID:
            datatype = PropertyType.CN_RESIDENT_ID.value
        list_name = node.get("list_name") or node.get("itemset")
        from_repeat = _REPEAT_ITEMSET_RE.match(str(list_name or ""))
        if from_repeat:
            list_name = None
        result: dict[str, Any] = {
            "name": name,
            "path": path,
            "type": ftype,
            "label": self._texts(node.get("label")),
            "hint": self._texts(node.get("hint")),
            "required": flag(bind.get("required")),
            "required_message": self._texts(bind.get("jr:requiredMsg")),
            "relevant": bind.get("relevant"),
            "constraint": bind.get("constraint"),
            "constraint_message": self._texts(bind.get("jr:constraintMsg")),
            "calculation": bind.get("calculate"),
            "default": node.get("default"),
            "read_only": flag(bind.get("readonly")) if "jr:preload" not in bind else True,
            "appearance": control.get("appearance"),
            "parameters": parse_parameters(node.get("parameters")),
            "list_name": str(list_name) if list_name else None,
            "choices_from": self.refs.get(from_repeat.group(1)) if from_repeat else None,
            "choice_filter": node.get("choice_filter"),
            "trigger": list(node.get("trigger") or []) or None,
            "repeat_count": control.get("jr:count"),
            "datatype": str(datatype) if datatype else None,
            "save_to": str(save_to) if save_to else None,
            "media": {str(k): str(v) if not isinstance(v, Mapping) else dict(v)
                      for k, v in media.items()} or None,
        }
        if ftype in ("group", "repeat"):
            if ftype == "repeat":
                self.repeats.append(path)
            result["children"] = self.fields(node.get("children") or [], path)
        return result

    @staticmethod
    def _type(node: Mapping[str, Any]) -> str:
        mapped = canonical_type(str(node.get("type")))
        itemset = str(node.get("itemset") or "")
        if mapped in ("select_one", "select_multiple") and itemset.lower().endswith(_FILE_SUFFIXES):
            return mapped + "_from_file"
        return mapped


@functools.cache
def canonical_type(raw: str) -> str:
    """gridreg's name of a pyxform type, older spellings included ('int' -> 'integer', 'gps' -> 'geopoint')."""
    mapped = _TYPE_MAP.get(raw, raw)
    entry = QUESTION_TYPE_DICT.get(raw)
    if mapped in CANONICAL_TYPES or entry is None:
        return mapped
    pyxform_name = {v: k for k, v in _TYPE_MAP.items()}
    for name in CANONICAL_TYPES:
        if QUESTION_TYPE_DICT.get(pyxform_name.get(name, name)) == entry:
            return name
    if raw.startswith("uri:") and raw[4:] in CANONICAL_TYPES:
        return raw[4:]
    return _BIND_TYPES.get(str((entry.get("bind") or {}).get("type")), mapped)


def _media(value: Any) -> Mapping[str, Any]:
    """A media cell by type ({'image': 'a.jpg'}); a bare 'media' column names no type, and pyxform drops it."""
    return value if isinstance(value, Mapping) else {}


def unique_refs(children: Sequence[Mapping[str, Any]], parent: str) -> dict[str, str]:
    """``${name}`` -> absolute path for every name used once in the form (a repeated name cannot be referenced)."""
    paths: dict[str, list[str]] = {}

    def visit(nodes: Sequence[Mapping[str, Any]], prefix: str) -> None:
        for node in nodes:
            if node.get("type") in _SKIPPED_META or node.get("type") == "attribute":
                continue
            path = f"{prefix}/{node['name']}"
            paths.setdefault(str(node["name"]), []).append(path)
            if node.get("type") in ("group", "repeat"):
                visit(node.get("children") or [], path)

    visit(children, parent)
    return {name: found[0] for name, found in paths.items() if len(found) == 1}


def _choices(pyx: Mapping[str, Any], builder: _Builder) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for list_name, items in (pyx.get("choices") or {}).items():
        rows = []
        for item in items:
            row: dict[str, Any] = {"name": str(item.get("name", "")), "label": builder._texts(item.get("label"))}
            for key, value in item.items():
                if key in ("name", "label"):
                    continue
                if key == "media" and isinstance(value, Mapping):
                    row["media"] = dict(value)
                    for fname in value.values():
                        for f in (fname.values() if isinstance(fname, Mapping) else [fname]):
                            builder.media[str(f)] = None
                else:
                    row[str(key)] = value if isinstance(value, (str, dict)) else str(value)
            rows.append(row)
        out[str(list_name)] = rows
    return out


def _entities(rows: Sequence[Mapping[str, Any]] | None, save_to: dict[str, str],
              sensitive: dict[str, str]) -> dict[str, Any] | None:
    rows = [r for r in (rows or []) if r]
    if not rows:
        return None
    row = rows[0]
    entity_id = row.get("entity_id") or None
    create_if = row.get("create_if") or None
    actions = []
    if entity_id is None or create_if is not None:
        actions.append("create")
    if entity_id is not None:
        actions.append("update")
    return {
        "dataset": str(row.get("list_name") or row.get("dataset") or ""),
        "actions": actions,
        "create_if": create_if,
        "update_if": row.get("update_if") or None,
        "entity_id": entity_id,
        "label": row.get("label") or None,
        "save_to": dict(save_to),
        "sensitive": dict(sensitive),
    }


def build_definition(pyx: Mapping[str, Any], *, form_id: str, version: str,
                     settings_row: Mapping[str, Any], entity_rows: Sequence[Mapping[str, Any]] | None,
                     datasets: Mapping[str, DatasetSpec] | None) -> dict[str, Any]:
    """The compiled JSON (see compiled_form.schema.json) from pyxform's survey dict."""
    default_language = str(pyx.get("default_language") or "default")
    dataset_name = next((str(r.get("list_name", "")) for r in (entity_rows or []) if r), None)
    dataset = (datasets or {}).get(dataset_name) if dataset_name else None
    root = str(pyx.get("name") or "data")
    builder = _Builder(default_language, dataset, unique_refs(pyx.get("children") or [], "/" + root))
    fields = builder.fields(pyx.get("children") or [], "/" + root)
    choices = _choices(pyx, builder)
    reserved = {"form_title", "form_id", "version", "default_language", "name"}
    settings = {str(k): str(v) for k, v in settings_row.items() if k not in reserved and v not in (None, "")}
    title = str(pyx.get("title") or form_id)
    return {
        "schema_version": SCHEMA_VERSION,
        "form_id": form_id,
        "version": version,
        "title": {default_language: title},
        "default_language": default_language,
        "languages": list(builder.languages),
        "root": root,
        "fields": fields,
        "choices": choices,
        "settings": settings,
        "entities": _entities(entity_rows, builder.save_to, builder.sensitive),
        "refs": builder.refs,
        "repeats": builder.repeats,
        "media_files": list(builder.media),
    }


def iter_fields(fields: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every field of a compiled tree, depth first (groups before their children)."""
    for f in fields:
        yield f
        if f.get("children"):
            yield from iter_fields(f["children"])
