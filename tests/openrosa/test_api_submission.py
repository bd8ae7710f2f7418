"""POST /openrosa/submission replayed exactly as ODK Collect sends it: HEAD, POST, splits, resends, edits."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.forms import service as forms_service
from server.submissions.models import Submission
from tests.openrosa.conftest import (
    NS,
    Collect,
    assert_error,
    assert_openrosa,
    jpeg,
    new_instance_id,
    parse,
    registration_xml,
    upload_and_publish,
)

PHOTO = "1764356400123.jpg"


def _site_photos_workbook(version: str) -> bytes:
    """A small form with two photo questions, so that Collect has something to split."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [("type", "name", "label::zh (zh)", "label::en (en)"), ("text", "place", "地点", "Place"),
                ("image", "photo_front", "正面照片", "Front photo"), ("image", "photo_back", "背面照片", "Back photo")]:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_title", "form_id", "version", "default_language"))
    settings.append(("现场照片", "site_photos", version, "zh (zh)"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _publish_site_photos(db: Session, version: str) -> Any:
    forms_service.upload(db, None, _site_photos_workbook(version), "site_photos.xlsx")
    published = forms_service.publish(db, None, "site_photos")
    db.commit()
    return published


def _site_xml(instance_id: str, version: str = "1", place: str = "新郑市人民路") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><data xmlns:orx="http://openrosa.org/xforms" id="site_photos" '
            f'version="{version}"><place>{place}</place><photo_front>front.jpg</photo_front>'
            f"<photo_back>back.jpg</photo_back><meta><instanceID>{instance_id}</instanceID></meta></data>").encode()


def _rows(db: Session, instance_id: str | None = None) -> list[Submission]:
    db.expire_all()
    query = select(Submission).order_by(Submission.id)
    if instance_id is not None:
        query = query.where(Submission.instance_id == instance_id)
    return list(db.scalars(query))


def _count(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Submission)) or 0)


def _assert_sent(response: Any) -> None:
    """201 with an OpenRosaResponse success message: what Collect counts as sent."""
    assert_openrosa(response, 201)
    root = parse(response)
    assert root.tag == f"{{{NS['or']}}}OpenRosaResponse"
    message = root.find("or:message", NS)
    assert message is not None and message.get("nature") == "submit_success" and message.text


@pytest.fixture
def registration(db: Session) -> Any:
    return upload_and_publish(db, "registration")["person_registration"]


def test_head_then_post_with_a_photo_then_resend_after_a_lost_response(collect: Collect, db: Session,
                                                                       registration: Any) -> None:
    assert_openrosa(collect.head_submission(), 204)
    instance_id = new_instance_id()
    xml = registration_xml(instance_id, extra_children=2)
    photo = jpeg(1)
    _assert_sent(collect.post_submission(xml, [(PHOTO, photo, "image/jpeg")]))
    (row,) = _rows(db, instance_id)
    assert row.raw_format == "xml" and row.submitter.username == "worker"
    assert row.data["identity"]["full_name"] == "阿依古丽"
    assert [c["child_name"] for c in row.data["family"]["children"]] == ["孩子0", "孩子1"]
    assert row.meta["device_id"] == "collect:Qx1nB2dE" and row.meta["user_agent"].startswith("org.odk.collect")
    assert [(a.name, a.sha256) for a in row.attachments] == [(PHOTO, hashlib.sha256(photo).hexdigest())]

    # The response was lost: Collect sends everything again, and is told it is sent.
    assert_openrosa(collect.head_submission(), 204)
    _assert_sent(collect.post_submission(xml, [(PHOTO, photo, "image/jpeg")]))
    (again,) = _rows(db, instance_id)
    assert again.id == row.id and len(again.attachments) == 1 and _count(db) == 1


def test_a_split_upload_in_two_posts_adds_the_second_photo(collect: Collect, db: Session) -> None:
    _publish_site_photos(db, "1")
    instance_id = new_instance_id()
    xml = _site_xml(instance_id)
    front, back = jpeg(2, (640, 480)), jpeg(3, (480, 640))
    _assert_sent(collect.post_submission(xml, [("front.jpg", front, "image/jpeg")], incomplete=True))
    (row,) = _rows(db, instance_id)
    assert {a.name: a.received for a in row.attachments} == {"front.jpg": True, "back.jpg": False}
    _assert_sent(collect.post_submission(xml, [("back.jpg", back, "image/jpeg")]))
    (row,) = _rows(db, instance_id)
    assert {a.name: a.sha256 for a in row.attachments} == {
        "front.jpg": hashlib.sha256(front).hexdigest(), "back.jpg": hashlib.sha256(back).hexdigest()}
    # Every part again, in any order, changes nothing.
    _assert_sent(collect.post_submission(xml, [("back.jpg", back, "image/jpeg")]))
    _assert_sent(collect.post_submission(xml, [("front.jpg", front, "image/jpeg"), ("back.jpg", back, "image/jpeg")]))
    _assert_sent(collect.post_submission(xml))
    assert _count(db) == 1 and len(_rows(db, instance_id)[0].attachments) == 2


def test_same_instance_id_with_other_xml_is_409(collect: Collect, db: Session, registration: Any) -> None:
    instance_id = new_instance_id()
    _assert_sent(collect.post_submission(registration_xml(instance_id), [(PHOTO, jpeg(4), "image/jpeg")]))
    changed = registration_xml(instance_id, name="古丽娜")
    response = collect.post_submission(changed, [(PHOTO, jpeg(4), "image/jpeg")])
    assert_error(response, 409, "submission.payload_mismatch")
    (row,) = _rows(db, instance_id)
    assert row.data["identity"]["full_name"] == "阿依古丽"


def test_a_different_photo_under_the_same_name_is_409(collect: Collect, db: Session) -> None:
    _publish_site_photos(db, "1")
    instance_id = new_instance_id()
    _assert_sent(collect.post_submission(_site_xml(instance_id), [("front.jpg", jpeg(5), "image/jpeg")]))
    response = collect.post_submission(_site_xml(instance_id), [("front.jpg", jpeg(6), "image/jpeg")])
    assert_error(response, 409, "submission.attachment_mismatch")


def test_another_user_cannot_reuse_an_instance_id(client: FlaskClient, collect: Collect, db: Session,
                                                  registration: Any) -> None:
    instance_id = new_instance_id()
    xml = registration_xml(instance_id, photo=None)
    _assert_sent(collect.post_submission(xml))
    assert_error(Collect(client, "supervisor").post_submission(xml), 409, "submission.payload_mismatch")
    assert _count(db) == 1


def test_an_edit_names_the_version_it_replaces(collect: Collect, db: Session, registration: Any) -> None:
    first = new_instance_id()
    _assert_sent(collect.post_submission(registration_xml(first, photo=None)))
    edit = new_instance_id()
    edit_xml = registration_xml(edit, photo=None, name="阿依古丽·艾买提", deprecated_id=first)
    _assert_sent(collect.post_submission(edit_xml))
    _assert_sent(collect.post_submission(edit_xml))  # resent after a lost response
    original, edited = _rows(db)
    assert (original.instance_id, edited.instance_id) == (first, edit)
    assert edited.deprecated_id == first and edited.root_id == original.root_id == first
    # A second, different edit of the same version (another phone) is a conflict, not a fork.
    other = registration_xml(new_instance_id(), photo=None, name="别名", deprecated_id=first)
    assert_error(collect.post_submission(other), 409, "submission.edit_conflict")
    assert _count(db) == 2


def test_unknown_form_or_version_is_404(collect: Collect, db: Session, registration: Any) -> None:
    assert_error(collect.post_submission(registration_xml(new_instance_id(), form_id="nope", photo=None)), 404,
                 "form.not_found")
    assert_error(collect.post_submission(registration_xml(new_instance_id(), version="1999", photo=None)), 404,
                 "form.version_not_found")
    assert _count(db) == 0


def test_retired_versions_still_take_submissions(collect: Collect, db: Session) -> None:
    _publish_site_photos(db, "1")
    _publish_site_photos(db, "2")
    _assert_sent(collect.post_submission(_site_xml(new_instance_id(), version="1"),
                                         [("front.jpg", jpeg(7), "image/jpeg")]))
    _assert_sent(collect.post_submission(_site_xml(new_instance_id(), version="2")))
    assert _count(db) == 2


@pytest.mark.parametrize(("xml", "code"), [
    (b"this is not xml", "submission.xml_invalid"),
    (b'<data id="person_registration" version="{v}"><meta/></data>', "submission.no_instance_id"),
    (b'<data id="person_registration" version="{v}"><meta><instanceID>not-a-uuid</instanceID></meta></data>', None),
])
def test_malformed_xml_is_400(collect: Collect, db: Session, registration: Any, xml: bytes, code: str | None) -> None:
    xml = xml.replace(b"{v}", registration.version.encode())
    assert_error(collect.post_submission(xml), 400, code)
    assert _count(db) == 0


def test_files_the_xml_does_not_name_are_refused(collect: Collect, db: Session, registration: Any) -> None:
    response = collect.post_submission(registration_xml(new_instance_id()), [("other.jpg", jpeg(8), "image/jpeg")])
    assert_error(response, 422, "submission.attachment_not_declared")
    assert _count(db) == 0


def test_without_credentials_nothing_is_stored(client: FlaskClient, collect: Collect, db: Session,
                                               registration: Any) -> None:
    anonymous = Collect(client, "worker", "wrong-password")
    response = anonymous.post_submission(registration_xml(new_instance_id(), photo=None))
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="gridreg"'
    assert _count(db) == 0


def test_messages_follow_accept_language(client: FlaskClient, collect: Collect, registration: Any) -> None:
    xml = registration_xml(new_instance_id(), photo=None)
    from tests.openrosa.conftest import multipart

    body, content_type = multipart(xml)
    response = client.post("/openrosa/submission", data=body, headers=collect.headers(
        **{"Content-Type": content_type, "Accept-Language": "en-GB,en;q=0.9"}))
    _assert_sent(response)
    assert response.headers["Content-Language"] == "en"
    assert parse(response).findtext("or:message", namespaces=NS) == "Form received"


def test_no_retry_sequence_ever_duplicates(collect: Collect, db: Session) -> None:
    """Every mix of partial, whole and repeated POSTs of one instance leaves one row with both photos."""
    _publish_site_photos(db, "1")
    front, back = jpeg(9), jpeg(10)
    parts = {"none": [], "front": [("front.jpg", front, "image/jpeg")], "back": [("back.jpg", back, "image/jpeg")],
             "both": [("front.jpg", front, "image/jpeg"), ("back.jpg", back, "image/jpeg")]}
    sequences = [["front", "back"], ["both", "both"], ["none", "front", "none", "back", "both"],
                 ["back", "front", "front"]]
    for sequence in sequences:
        instance_id = new_instance_id()
        xml = _site_xml(instance_id)
        for step in sequence:
            _assert_sent(collect.post_submission(xml, parts[step]))
        (row,) = _rows(db, instance_id)
        assert sorted(a.name for a in row.attachments if a.received) == ["back.jpg", "front.jpg"]
    assert _count(db) == len(sequences)


def test_the_audit_log_of_a_form_with_an_audit_row_is_an_attachment(collect: Collect, db: Session) -> None:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [("type", "name", "label"), ("audit", None, None), ("text", "place", "地点")]:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_id", "version"))
    settings.append(("audited", "1"))
    out = io.BytesIO()
    book.save(out)
    forms_service.upload(db, None, out.getvalue(), "audited.xlsx")
    forms_service.publish(db, None, "audited")
    db.commit()
    instance_id = new_instance_id()
    xml = (f'<?xml version="1.0"?><data id="audited" version="1"><place>人民路</place><meta>'
           f"<audit>audit.csv</audit><instanceID>{instance_id}</instanceID></meta></data>").encode()
    log = b"event,node,start,end\nform start,,1764356400123,\n"
    _assert_sent(collect.post_submission(xml, [("audit.csv", log, "text/csv")]))
    (row,) = _rows(db, instance_id)
    assert row.data["place"] == "人民路" and row.status != "rejected"
    assert [(a.name, a.received, a.sha256) for a in row.attachments] == [
        ("audit.csv", True, hashlib.sha256(log).hexdigest())]
