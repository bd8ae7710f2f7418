"""Rules for changing dataset declarations: reading the file's blocks, naming and labelling properties.

A declaration is kept as its block of forms/datasets.yaml (a plain mapping),
so the file, the database and the API speak one format; ``datasets.py`` checks
a block. These are the extra rules for a property a designer adds: its name
follows the ODK (XML) naming rules like a form's field names, its labels are
short single-line text, and a name or label that looks like personal data
(an ID number, a phone number, an ethnic group) is never declared silently as
plain text.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from server.domain.datasets import DEFAULT_PATH, DatasetDeclarationError, parse_datasets

MAX_NAME = 64
MAX_LABEL = 100
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_RESERVED = frozenset({"name", "label"})
# Words that mark personal data (PIPL) in a property's name or label.
_SENSITIVE_TOKENS = re.compile(
    r"(^|[_\-\s])(id|ids|idno|idnum|idcard|sfz|ssn|tel|phone|phones|mobile|cell|ethnic|ethnicity|nation|"
    r"nationality|passport)([_\-\s]|$)|id(_?(no|num|number|card))|phone|mobile|passport|ethnic",
    re.IGNORECASE,
)
_SENSITIVE_WORDS = ("身份证", "身份号", "证件", "电话", "手机", "联系方式", "民族", "护照")


def read_blocks(path: Path | str = DEFAULT_PATH) -> dict[str, dict[str, Any]]:
    """The checked blocks of a datasets.yaml file, by dataset name."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DatasetDeclarationError([("(document)", f"cannot be read as YAML: {exc}")]) from exc
    parse_datasets(document)
    return {str(name): dict(block) for name, block in document["datasets"].items()}


def to_stored(block: Mapping[str, Any]) -> dict[str, Any]:
    """A block as stored in JSON columns: properties as [name, spec] pairs, because their order is part of
    the declaration (entity list columns follow it) and PostgreSQL's JSONB does not keep key order."""
    return {**block, "properties": [[name, spec] for name, spec in (block.get("properties") or {}).items()]}


def from_stored(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The block a stored JSON value holds."""
    block = dict(stored or {})
    if isinstance(block.get("properties"), list):
        block["properties"] = {str(name): spec for name, spec in block["properties"]}
    return block


def block_digest(block: Mapping[str, Any]) -> str:
    """A declaration block's content digest: mapping key order does not matter, property order does."""
    stored = to_stored(block)
    return hashlib.sha256(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a property name (ODK naming rules), or None."""
    if not isinstance(name, str) or not name:
        return "a property needs a name"
    if len(name) > MAX_NAME:
        return f"at most {MAX_NAME} characters"
    if not _XML_NAME.match(name):
        return f"{name!r} is not a valid name (letters, digits, _ and -, not starting with a digit)"
    if name.startswith("__"):
        return "names starting with __ are reserved"
    if name.lower() in _RESERVED:
        return f"{name!r} is reserved by ODK entities; use another property name"
    return None


def label_problem(label: Any) -> str | None:
    """Why ``label`` cannot label a property (one line of printable text), or None."""
    if not isinstance(label, str) or not label.strip():
        return "a label cannot be empty"
    if len(label) > MAX_LABEL:
        return f"at most {MAX_LABEL} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in label):
        return "a label is one line of printable text"
    return None


def looks_sensitive(name: str, *labels: str | None) -> bool:
    """True when a name or label looks like an ID number, a phone number or an ethnic group."""
    texts = [name, *(label or "" for label in labels)]
    return any(_SENSITIVE_TOKENS.search(t) for t in texts) or any(w in t for t in texts for w in _SENSITIVE_WORDS)


def property_block(ptype: str, label_zh: str, label_en: str, *, sensitive: bool | None = None,
                   **extra: Any) -> dict[str, Any]:
    """A property's entry in a dataset block."""
    block: dict[str, Any] = {"type": ptype, "label": {"zh": label_zh, "en": label_en}}
    if sensitive is not None:
        block["sensitive"] = sensitive
    block.update({k: v for k, v in extra.items() if v not in (None, [], ())})
    return block
