"""Reading form id, version and instance ids from a submission's XML."""

from __future__ import annotations

import pytest

from server.errors import BadRequestError
from server.openrosa.envelope import read_envelope
from tests.openrosa.conftest import registration_version, registration_xml


def test_reads_form_version_and_ids() -> None:
    envelope = read_envelope(registration_xml("uuid:1", deprecated_id="uuid:0"))
    assert (envelope.form_id, envelope.version) == ("person_registration", registration_version())
    assert (envelope.instance_id, envelope.deprecated_id) == ("uuid:1", "uuid:0")


def test_namespaced_meta_and_missing_version() -> None:
    xml = (b'<d xmlns="http://www.w3.org/2002/xforms" xmlns:orx="http://openrosa.org/xforms" id="f">'
           b"<orx:meta><orx:instanceID> uuid:2 </orx:instanceID></orx:meta></d>")
    envelope = read_envelope(xml)
    assert (envelope.form_id, envelope.version, envelope.instance_id, envelope.deprecated_id) == (
        "f", None, "uuid:2", None)


@pytest.mark.parametrize(("xml", "code"), [
    (b"not xml", "submission.xml_invalid"),
    (b"", "submission.xml_invalid"),
    (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", "submission.no_form_id"),
    (b'<data id="f"><meta><instanceID/></meta></data>', "submission.no_instance_id"),
    (b'<data id="f"><x><instanceID>uuid:1</instanceID></x></data>', "submission.no_instance_id"),
    (b'<!DOCTYPE d [<!ENTITY e "x">]><d id="f"><meta><instanceID>&e;</instanceID></meta></d>',
     "submission.xml_invalid"),
])
def test_malformed_submissions_are_400(xml: bytes, code: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        read_envelope(xml)
    assert caught.value.code == code
