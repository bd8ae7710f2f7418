"""The few facts read from a submission's XML before anything else: which form, which instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from server.errors import BadRequestError
from server.json_input import MAX_DEPTH


@dataclass(frozen=True, slots=True)
class Envelope:
    """The root's ``id``/``version`` and the ``meta`` block's instance ids."""

    form_id: str
    version: str | None
    instance_id: str
    deprecated_id: str | None
    root: Element = field(repr=False, compare=False)  # the parsed document, so it is parsed once


def _local(tag: object) -> str:
    return str(tag).rpartition("}")[2]


def _meta_text(root: Element, name: str) -> str | None:
    for meta in (child for child in root if _local(child.tag) == "meta"):
        for element in meta:
            if _local(element.tag) == name and (element.text or "").strip():
                return (element.text or "").strip()
    return None


def _too_deep(root: Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def read_envelope(xml: bytes) -> Envelope:
    """Parse the submission XML (safely: no DTD, entities or external references) and read its ids."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequestError(f"the submission is not well-formed XML: {exc}", code="submission.xml_invalid",
                              message_zh="提交的 XML 格式有误") from exc
    if _too_deep(root, MAX_DEPTH):  # everything after this walks the tree recursively
        raise BadRequestError(f"the submission XML is nested deeper than {MAX_DEPTH} levels",
                              code="submission.too_deep", message_zh="提交的 XML 嵌套层数过多")
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise BadRequestError("the submission's root element has no id attribute", code="submission.no_form_id",
                              message_zh="提交的 XML 缺少表单 id")
    instance_id = _meta_text(root, "instanceID")
    if not instance_id:
        raise BadRequestError("the submission has no meta/instanceID", code="submission.no_instance_id",
                              message_zh="提交的 XML 缺少 meta/instanceID")
    version = (root.get("version") or "").strip() or None
    return Envelope(form_id, version, instance_id, _meta_text(root, "deprecatedID"), root)
