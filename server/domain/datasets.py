"""Load and check the dataset declarations (forms/datasets.yaml) into typed, frozen dataclasses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "forms" / "datasets.yaml"

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_RESERVED_PROPERTIES = frozenset({"name", "label"})


class PropertyType(StrEnum):
    """The types a dataset property may have."""

    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    SELECT = "select"
    CN_RESIDENT_ID = "cn_resident_id"
    PHONE = "phone"
    DIVISION_CODE = "division_code"
    ETHNICITY_CODE = "ethnicity_code"
    GEOPOINT = "geopoint"
    ENTITY = "entity"  # the uuid of a record of another dataset (``dataset`` names which)


# Sensitive personal information under PIPL: always masked, encrypted at rest, audited.
ALWAYS_SENSITIVE = frozenset({PropertyType.CN_RESIDENT_ID, PropertyType.PHONE, PropertyType.ETHNICITY_CODE})
DERIVATIONS = frozenset({"pinyin", "id_birth_date", "id_sex"})
PLACEMENT_LEVELS = frozenset({"grid", "village", "township"})
ON_MISSING = frozenset({"submitter_grid", "review"})
ON_OUTSIDE = frozenset({"review", "accept", "reject"})


class DatasetDeclarationError(ValueError):
    """The declarations are invalid; `problems` lists (key path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("invalid dataset declarations:\n" + "\n".join(f"  {p}: {m}" for p, m in problems))


@dataclass(frozen=True, slots=True)
class Derivation:
    """A property the server computes from another one (e.g. pinyin of full_name)."""

    source: str
    using: str


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """One typed dataset property."""

    name: str
    type: PropertyType
    label_zh: str
    label_en: str
    sensitive: bool = False
    required: bool = False
    list_name: str | None = None
    multiple: bool = False
    values: tuple[str, ...] = ()
    derive: Derivation | None = None
    dataset: str | None = None  # for ENTITY properties: the dataset the uuid belongs to


@dataclass(frozen=True, slots=True)
class IdentityKeys:
    """Dedup keys: strong ones merge on exact match; near ones raise duplicate candidates."""

    strong: tuple[str, ...]
    near: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """How a record is placed in the grid hierarchy.

    Either from one of its geopoint properties (``geopoint``), or by following
    the record an ``entity`` property names (``follows``): it then lives in
    that record's grid and moves with it, while ``moves_while`` (a property
    and the values it may take, e.g. status in open, in_progress) holds; when it
    no longer holds the record stays where it is.
    """

    geopoint: str
    level: str = "grid"
    on_missing: str = "submitter_grid"
    on_outside: str = "review"
    follows: str | None = None
    moves_while: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One dataset (entity list) declaration."""

    name: str
    label_zh: str
    label_en: str
    label_property: str
    properties: Mapping[str, PropertySpec]
    identity: IdentityKeys
    merge_requires_approval: bool
    placement: Placement
    # Submissions writing to this dataset merge only once a supervisor has approved them.
    merge_after_review: bool = False

    @property
    def sensitive_properties(self) -> frozenset[str]:
        """Names of properties that are masked by default and audited when read."""
        return frozenset(p.name for p in self.properties.values() if p.sensitive)


class _Reader:
    """Walks the parsed YAML, collecting every problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {type(value).__name__}")
            return None
        return value

    def keys(self, value: dict[str, Any], path: str, allowed: set[str], required: set[str]) -> None:
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(value)):
            self.fail(f"{path}.{key}", "missing")

    def boolean(self, value: Any, path: str, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {value!r}")
            return default
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a non-empty string, got {value!r}")
            return ""
        return value

    def choice(self, value: Any, path: str, allowed: frozenset[str], default: str) -> str:
        if value is None:
            return default
        if value not in allowed:
            self.fail(path, f"{value!r} is not one of {', '.join(sorted(allowed))}")
            return default
        return str(value)

    def names(self, value: Any, path: str, known: Mapping[str, PropertySpec]) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, "expected a list of property names")
            return ()
        for i, item in enumerate(value):
            if item not in known:
                self.fail(f"{path}[{i}]", f"{item!r} is not a declared property")
        return tuple(str(v) for v in value)

    def label(self, value: Any, path: str) -> tuple[str, str]:
        mapping = self.mapping(value, path)
        if mapping is None:
            return "", ""
        self.keys(mapping, path, {"zh", "en"}, {"zh", "en"})
        return self.text(mapping.get("zh"), f"{path}.zh"), self.text(mapping.get("en"), f"{path}.en")


def _check_name(reader: _Reader, name: Any, path: str, *, is_property: bool) -> None:
    if not isinstance(name, str) or not _XML_NAME.match(name):
        reader.fail(
            path, f"{name!r} is not a valid name (letters, digits, _ and -, not starting with a digit)"
        )
    elif name.startswith("__"):
        reader.fail(path, "names starting with __ are reserved")
    elif is_property and name.lower() in _RESERVED_PROPERTIES:
        reader.fail(path, f"{name!r} is reserved by ODK entities; use another property name")


def _parse_property(reader: _Reader, name: str, raw: Any, path: str) -> PropertySpec | None:
    spec = reader.mapping(raw, path)
    if spec is None:
        return None
    allowed = {"type", "label", "sensitive", "required", "list", "multiple", "values", "derive", "dataset"}
    reader.keys(spec, path, allowed, {"type", "label"})
    try:
        ptype = PropertyType(str(spec.get("type")))
    except ValueError:
        reader.fail(
            f"{path}.type", f"{spec.get('type')!r} is not one of {', '.join(t.value for t in PropertyType)}"
        )
        return None
    label_zh, label_en = reader.label(spec.get("label"), f"{path}.label")
    sensitive = reader.boolean(spec.get("sensitive"), f"{path}.sensitive", default=ptype in ALWAYS_SENSITIVE)
    if ptype in ALWAYS_SENSITIVE and not sensitive:
        reader.fail(f"{path}.sensitive", f"a {ptype.value} property is always sensitive")
    list_name = spec.get("list")
    if ptype is PropertyType.SELECT:
        list_name = reader.text(list_name, f"{path}.list")
    elif list_name is not None:
        reader.fail(f"{path}.list", "only select properties have a list")
    multiple = reader.boolean(spec.get("multiple"), f"{path}.multiple")
    if multiple and ptype is not PropertyType.SELECT:
        reader.fail(f"{path}.multiple", "only select properties can be multiple")
    values = spec.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        reader.fail(f"{path}.values", "expected a list of strings")
        values = []
    elif values and ptype is not PropertyType.SELECT:
        reader.fail(f"{path}.values", "only select properties have values")
    dataset = spec.get("dataset")
    if ptype is PropertyType.ENTITY:
        dataset = reader.text(dataset, f"{path}.dataset")
    elif dataset is not None:
        reader.fail(f"{path}.dataset", "only entity properties name a dataset")
    derive = None
    if "derive" in spec:
        raw_derive = reader.mapping(spec["derive"], f"{path}.derive")
        if raw_derive is not None:
            reader.keys(raw_derive, f"{path}.derive", {"from", "using"}, {"from", "using"})
            derive = Derivation(
                source=str(raw_derive.get("from")),
                using=reader.choice(raw_derive.get("using"), f"{path}.derive.using", DERIVATIONS, "pinyin"),
            )
    return PropertySpec(
        name=name,
        type=ptype,
        label_zh=label_zh,
        label_en=label_en,
        sensitive=sensitive,
        required=reader.boolean(spec.get("required"), f"{path}.required"),
        list_name=list_name or None,
        multiple=multiple,
        values=tuple(values),
        derive=derive,
        dataset=str(dataset) if dataset else None,
    )


def _parse_dataset(reader: _Reader, name: str, raw: Any, path: str) -> DatasetSpec | None:
    spec = reader.mapping(raw, path)
    if spec is None:
        return None
    allowed = {"label", "label_property", "properties", "identity", "merge_requires_approval", "placement",
               "merge_after_review"}
    # No identity: records are never deduplicated; merge_after_review is off unless declared.
    reader.keys(spec, path, allowed, allowed - {"identity", "merge_after_review"})
    label_zh, label_en = reader.label(spec.get("label"), f"{path}.label")

    properties: dict[str, PropertySpec] = {}
    raw_properties = reader.mapping(spec.get("properties"), f"{path}.properties") or {}
    if not raw_properties and "properties" in spec:
        reader.fail(f"{path}.properties", "a dataset needs at least one property")
    for prop_name, raw_prop in raw_properties.items():
        prop_path = f"{path}.properties.{prop_name}"
        _check_name(reader, prop_name, prop_path, is_property=True)
        if (prop := _parse_property(reader, str(prop_name), raw_prop, prop_path)) is not None:
            properties[prop.name] = prop
    for prop in properties.values():
        if prop.derive and prop.derive.source not in properties:
            reader.fail(
                f"{path}.properties.{prop.name}.derive.from",
                f"{prop.derive.source!r} is not a declared property",
            )

    label_property = reader.text(spec.get("label_property"), f"{path}.label_property")
    if label_property and label_property not in properties:
        reader.fail(f"{path}.label_property", f"{label_property!r} is not a declared property")

    raw_identity = (reader.mapping(spec.get("identity"), f"{path}.identity") or {}) if "identity" in spec else {}
    if "identity" in spec:
        reader.keys(raw_identity, f"{path}.identity", {"strong", "near"}, {"strong", "near"})
    identity = IdentityKeys(
        strong=reader.names(raw_identity.get("strong"), f"{path}.identity.strong", properties),
        near=reader.names(raw_identity.get("near"), f"{path}.identity.near", properties),
    )
    if raw_identity and not identity.strong and not identity.near:
        reader.fail(f"{path}.identity", "declare at least one strong or near key for dedup")

    raw_placement = reader.mapping(spec.get("placement"), f"{path}.placement") or {}
    placement_keys = {"geopoint", "level", "on_missing", "on_outside", "follows", "moves_while"}
    reader.keys(raw_placement, f"{path}.placement", placement_keys, set())
    geopoint, follows, moves_while = "", None, None
    if isinstance(spec.get("placement"), dict) and ("geopoint" in raw_placement) == ("follows" in raw_placement):
        reader.fail(f"{path}.placement", "declare either geopoint or follows")
    elif "follows" in raw_placement:
        follows, moves_while = _follows(reader, raw_placement, f"{path}.placement", properties)
    elif raw_placement:
        geopoint = reader.text(raw_placement.get("geopoint"), f"{path}.placement.geopoint")
    if geopoint and (geopoint not in properties or properties[geopoint].type is not PropertyType.GEOPOINT):
        reader.fail(f"{path}.placement.geopoint", f"{geopoint!r} is not a declared geopoint property")
    placement = Placement(
        geopoint=geopoint,
        level=reader.choice(raw_placement.get("level"), f"{path}.placement.level", PLACEMENT_LEVELS, "grid"),
        on_missing=reader.choice(
            raw_placement.get("on_missing"), f"{path}.placement.on_missing", ON_MISSING, "submitter_grid"
        ),
        on_outside=reader.choice(
            raw_placement.get("on_outside"), f"{path}.placement.on_outside", ON_OUTSIDE, "review"
        ),
        follows=follows,
        moves_while=moves_while,
    )
    merge_requires_approval = reader.boolean(
        spec.get("merge_requires_approval"), f"{path}.merge_requires_approval", True
    )
    return DatasetSpec(
        name=name,
        label_zh=label_zh,
        label_en=label_en,
        label_property=label_property,
        properties=properties,
        identity=identity,
        merge_requires_approval=merge_requires_approval,
        placement=placement,
        merge_after_review=reader.boolean(spec.get("merge_after_review"), f"{path}.merge_after_review"),
    )


def _follows(
    reader: _Reader, raw: dict[str, Any], path: str, properties: Mapping[str, PropertySpec]
) -> tuple[str | None, tuple[str, tuple[str, ...]] | None]:
    """``follows`` (an entity property) and ``moves_while`` ({property: value or [values]}) of a placement."""
    follows = reader.text(raw.get("follows"), f"{path}.follows")
    if follows and (follows not in properties or properties[follows].type is not PropertyType.ENTITY):
        reader.fail(f"{path}.follows", f"{follows!r} is not a declared entity property")
    moves_while = None
    raw_while = raw.get("moves_while")
    if raw_while is not None:
        condition = reader.mapping(raw_while, f"{path}.moves_while")
        if condition is not None and len(condition) != 1:
            reader.fail(f"{path}.moves_while", "expected one property: value pair")
        elif condition:
            (name, value), = condition.items()
            values = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
            prop = properties.get(name)
            if prop is None:
                reader.fail(f"{path}.moves_while", f"{name!r} is not a declared property")
            elif not values:
                reader.fail(f"{path}.moves_while", "expected at least one value")
            for one in values:
                if prop is not None and prop.values and one not in prop.values:
                    reader.fail(f"{path}.moves_while", f"{one!r} is not one of {', '.join(prop.values)}")
            moves_while = (str(name), values)
    return follows or None, moves_while


def _check_links(reader: _Reader, datasets: Mapping[str, DatasetSpec]) -> None:
    """Entity properties name declared datasets."""
    for dataset in datasets.values():
        for prop in dataset.properties.values():
            if prop.type is PropertyType.ENTITY and prop.dataset and prop.dataset not in datasets:
                reader.fail(
                    f"datasets.{dataset.name}.properties.{prop.name}.dataset",
                    f"{prop.dataset!r} is not a declared dataset",
                )


def parse_datasets(document: Any) -> dict[str, DatasetSpec]:
    """Check a parsed declarations document; raise DatasetDeclarationError listing every problem."""
    reader = _Reader()
    datasets: dict[str, DatasetSpec] = {}
    top = reader.mapping(document, "(document)")
    if top is not None:
        reader.keys(top, "(document)", {"version", "datasets"}, {"version", "datasets"})
        if "version" in top and top["version"] != 1:
            reader.fail("version", f"unsupported version {top['version']!r} (expected 1)")
        raw_datasets = reader.mapping(top.get("datasets"), "datasets") if "datasets" in top else None
        for name, raw in (raw_datasets or {}).items():
            _check_name(reader, name, f"datasets.{name}", is_property=False)
            if isinstance(name, str) and "." in name:
                reader.fail(f"datasets.{name}", "dataset names cannot contain '.'")
            if (dataset := _parse_dataset(reader, str(name), raw, f"datasets.{name}")) is not None:
                datasets[dataset.name] = dataset
        if raw_datasets is not None and not raw_datasets:
            reader.fail("datasets", "declare at least one dataset")
        _check_links(reader, datasets)
    if reader.problems:
        raise DatasetDeclarationError(reader.problems)
    return datasets


def parse_dataset(name: str, raw: Any) -> DatasetSpec:
    """Check one dataset's block (links to other datasets are the caller's to check)."""
    reader = _Reader()
    _check_name(reader, name, f"datasets.{name}", is_property=False)
    dataset = _parse_dataset(reader, name, raw, f"datasets.{name}")
    if reader.problems or dataset is None:
        raise DatasetDeclarationError(reader.problems)
    return dataset


def load_datasets(path: Path | str = DEFAULT_PATH) -> dict[str, DatasetSpec]:
    """Read and check a datasets.yaml file."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DatasetDeclarationError([("(document)", f"not valid YAML: {exc}")]) from exc
    return parse_datasets(document)


@cache
def city_datasets() -> dict[str, DatasetSpec]:
    """The city's forms/datasets.yaml, read and checked once per process (callers must not change it)."""
    return load_datasets()
