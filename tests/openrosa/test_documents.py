"""The OpenRosa XML documents, parsed back with their namespaces."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from server.openrosa.documents import MediaFileEntry, XFormEntry, form_list_xml, manifest_xml, response_xml
from tests.openrosa.conftest import NS


def test_form_list_document() -> None:
    xml = form_list_xml([
        XFormEntry("a", "甲", "1", "0" * 32, "http://h/openrosa/forms/a/versions/1/form.xml"),
        XFormEntry("b", "B & <b>", "2", "f" * 32, "http://h/b.xml", manifest_url="http://h/b/manifest",
                   description="d"),
    ])
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(xml)
    assert root.tag == f"{{{NS['xf']}}}xforms"
    first, second = root.findall("xf:xform", NS)
    assert first.findtext("xf:name", namespaces=NS) == "甲"
    assert first.findtext("xf:hash", namespaces=NS) == "md5:" + "0" * 32
    assert first.find("xf:manifestUrl", NS) is None
    assert second.findtext("xf:name", namespaces=NS) == "B & <b>"
    assert second.findtext("xf:manifestUrl", namespaces=NS) == "http://h/b/manifest"
    assert [c.tag.split("}")[1] for c in second] == [
        "formID", "name", "version", "hash", "descriptionText", "downloadUrl", "manifestUrl"]


def test_manifest_document() -> None:
    root = ET.fromstring(manifest_xml([
        MediaFileEntry("persons.csv", "a" * 32, "http://h/p.csv", type="entityList"),
        MediaFileEntry("logo.png", "b" * 32, "http://h/logo.png"),
    ]))
    assert root.tag == f"{{{NS['mf']}}}manifest"
    persons, logo = root.findall("mf:mediaFile", NS)
    assert persons.get("type") == "entityList" and logo.get("type") is None
    assert persons.findtext("mf:filename", namespaces=NS) == "persons.csv"
    assert persons.findtext("mf:hash", namespaces=NS) == "md5:" + "a" * 32
    assert logo.findtext("mf:downloadUrl", namespaces=NS) == "http://h/logo.png"


def test_response_envelope() -> None:
    root = ET.fromstring(response_xml("出错了", nature="error", code="x.y", errors={"f": ["bad", "worse"], "g": "x"}))
    assert root.tag == f"{{{NS['or']}}}OpenRosaResponse"
    message = root.find("or:message", NS)
    assert message is not None and message.text == "出错了"
    assert message.attrib == {"nature": "error", "code": "x.y"}
    assert [(e.get("field"), e.text) for e in root.findall("or:error", NS)] == [
        ("f", "bad"), ("f", "worse"), ("g", "x")]
    ok = ET.fromstring(response_xml("ok", nature="submit_success")).find("or:message", NS)
    assert ok is not None and ok.attrib == {"nature": "submit_success"}
