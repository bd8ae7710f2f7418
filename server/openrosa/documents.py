"""The OpenRosa XML documents: form list, manifest and response envelope (pure, no Flask)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"


@dataclass(frozen=True, slots=True)
class XFormEntry:
    """One ``<xform>`` of a form list."""

    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class MediaFileEntry:
    """One ``<mediaFile>`` of a manifest."""

    filename: str
    md5: str
    download_url: str
    type: str | None = None  # "entityList" for a dataset CSV


def _child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _serialise(root: ET.Element) -> bytes:
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def form_list_xml(entries: Iterable[XFormEntry]) -> bytes:
    """The ``xforms`` document (namespace xformsList) listing the given forms."""
    root = ET.Element("xforms", xmlns=XFORMS_LIST_NS)
    for entry in entries:
        xform = ET.SubElement(root, "xform")
        _child(xform, "formID", entry.form_id)
        _child(xform, "name", entry.name)
        _child(xform, "version", entry.version)
        _child(xform, "hash", f"md5:{entry.md5}")
        if entry.description:
            _child(xform, "descriptionText", entry.description)
        _child(xform, "downloadUrl", entry.download_url)
        if entry.manifest_url:
            _child(xform, "manifestUrl", entry.manifest_url)
    return _serialise(root)


def manifest_xml(files: Iterable[MediaFileEntry]) -> bytes:
    """The ``manifest`` document (namespace xformsManifest) of a form's media files."""
    root = ET.Element("manifest", xmlns=MANIFEST_NS)
    for item in files:
        media = ET.SubElement(root, "mediaFile", {"type": item.type} if item.type else {})
        _child(media, "filename", item.filename)
        _child(media, "hash", f"md5:{item.md5}")
        _child(media, "downloadUrl", item.download_url)
    return _serialise(root)


def response_xml(message: str, *, nature: str, code: str | None = None,
                 errors: Mapping[str, Any] | None = None) -> bytes:
    """An ``OpenRosaResponse`` envelope carrying one message (and field errors, if any)."""
    root = ET.Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    attributes = {"nature": nature}
    if code:
        attributes["code"] = code
    _child(root, "message", message).attrib.update(attributes)
    for field, problems in (errors or {}).items():
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            _child(root, "error", str(problem)).set("field", str(field))
    return _serialise(root)
