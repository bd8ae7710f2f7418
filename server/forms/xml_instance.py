"""Parse an OpenRosa XML submission into the JSON tree shape the validator and registry use.

The XML is parsed with defusedxml with DTDs, entity declarations and external
references forbidden (no entity expansion, no network). Namespaces are dropped
from element and attribute names. Groups become dicts, leaves strings exactly as
the XML carries them, repeats lists of dicts — an element is a repeat when its
path (``/data/group/rep``, no indices) is in ``repeat_paths``, or when the same
name occurs more than once under one parent. Attributes of elements below the
root (e.g. ``meta/entity``'s ``dataset``, ``id``, ``create``) are kept as
``"@name"`` keys; the root's attributes are returned separately.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from server.errors import AppError

__all__ = ["XmlInstanceError", "parse_openrosa_element", "parse_openrosa_xml"]


class XmlInstanceError(AppError):
    """The submission is not well-formed, safe OpenRosa XML."""

    status, code, message_zh = 400, "submission.invalid_xml", "提交的 XML 格式有误"


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1] if name.startswith("{") else name


def parse_openrosa_xml(xml: bytes, *, repeat_paths: Collection[str] = ()) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(root element name, root attributes such as id/version, {root: tree}) of an XML submission."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise XmlInstanceError(f"The submission is not well-formed XML: {exc}",
                               errors={"xml": [str(exc)]}) from exc
    return parse_openrosa_element(root, repeat_paths=repeat_paths)


def parse_openrosa_element(root: Element, *, repeat_paths: Collection[str] = ()) -> tuple[
        str, dict[str, str], dict[str, Any]]:
    """``parse_openrosa_xml`` of a document already parsed (safely): intake reads its envelope first."""
    name = _local(root.tag)
    attrs = {_local(k): v for k, v in root.attrib.items()}
    repeats = frozenset(p.rstrip("/") for p in repeat_paths)
    return name, attrs, {name: _children(root, "/" + name, repeats)}


def _children(element: Element, path: str, repeats: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    repeated: set[str] = set()  # names seen more than once here though not declared repeats
    if path.count("/") > 1:
        for key, attr in element.attrib.items():
            out["@" + _local(key)] = attr
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = _local(child.tag)
        child_path = path + "/" + name
        value: Any
        if len(child) or (child.attrib and not (child.text or "").strip()):
            value = _children(child, child_path, repeats)
        else:
            value = child.text or ""
        if child_path in repeats:
            out.setdefault(name, []).append(value if isinstance(value, dict) else {})
        elif name in out:
            if name in repeated:
                out[name].append(value)
            else:
                repeated.add(name)
                out[name] = [out[name], value]
        else:
            out[name] = value
    return out
