"""Form list, form download, manifest and media, as ODK Collect fetches them."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.openrosa.conftest import NS, Collect, assert_error, assert_openrosa, parse, upload_and_publish


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost", url  # absolute, from the request's host
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _xforms(collect: Collect, query: str = "") -> dict[str, dict[str, Any]]:
    response = collect.get(f"/openrosa/formList{query}")
    assert_openrosa(response, 200)
    root = parse(response)
    assert root.tag == f"{{{NS['xf']}}}xforms"
    forms = {}
    for xform in root.findall("xf:xform", NS):
        entry = {child.tag.split("}")[1]: child.text for child in xform}
        assert list(entry)[:4] == ["formID", "name", "version", "hash"]
        forms[entry["formID"]] = entry
    return forms


def test_form_list_names_every_published_form_with_hash_and_urls(collect: Collect, published: dict[str, Any]) -> None:
    forms = _xforms(collect)
    assert set(forms) == set(published)
    for form_id, version in published.items():
        entry = forms[form_id]
        assert entry["name"] == version.title
        assert entry["version"] == version.version
        assert entry["hash"] == f"md5:{version.xform_md5}"
        assert _path(entry["downloadUrl"]) == f"/openrosa/forms/{form_id}/versions/{version.version}/form.xml"
        if version.media_files:
            assert _path(entry["manifestUrl"]) == f"/openrosa/forms/{form_id}/versions/{version.version}/manifest"
        else:
            assert "manifestUrl" not in entry
    assert "manifestUrl" in forms["household_visit"] and "manifestUrl" not in forms["person_registration"]


def test_form_list_filters_by_form_id(collect: Collect, published: dict[str, Any]) -> None:
    assert list(_xforms(collect, "?formID=household_visit")) == ["household_visit"]
    assert _xforms(collect, "?formID=nope") == {}


def test_unpublished_drafts_are_not_listed(collect: Collect, db: Session) -> None:
    from server.forms import service as forms_service
    from tests.openrosa.conftest import FORMS_DIR

    forms_service.upload(db, None, (FORMS_DIR / "follow_up.xlsx").read_bytes(), "follow_up.xlsx")
    db.commit()
    assert _xforms(collect) == {}
    assert _xforms(Collect(collect.client, "designer")) == {}


def test_department_accounts_fill_no_forms(client: FlaskClient, published: dict[str, Any]) -> None:
    assert _xforms(Collect(client, "police")) == {}
    assert_error(Collect(client, "police").get("/openrosa/forms/household_visit/form.xml"), 403)


def test_downloaded_xform_matches_the_listed_hash(collect: Collect, published: dict[str, Any]) -> None:
    forms = _xforms(collect)
    for form_id in published:
        response = collect.get(_path(forms[form_id]["downloadUrl"]))
        assert_openrosa(response, 200)
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        assert f"md5:{hashlib.md5(response.data).hexdigest()}" == forms[form_id]["hash"]
        root = parse(response)
        assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    current = collect.get("/openrosa/forms/person_registration/form.xml")
    assert_openrosa(current, 200)
    assert current.data == published["person_registration"].xform_xml.encode("utf-8")


def test_manifest_lists_the_entity_list_and_its_download_matches(collect: Collect, published: dict[str, Any]) -> None:
    forms = _xforms(collect)
    response = collect.get(_path(forms["household_visit"]["manifestUrl"]))
    assert_openrosa(response, 200)
    root = parse(response)
    assert root.tag == f"{{{NS['mf']}}}manifest"
    files = root.findall("mf:mediaFile", NS)
    assert len(files) == 1
    media = files[0]
    assert media.get("type") == "entityList"
    assert media.findtext("mf:filename", namespaces=NS) == "persons.csv"
    hash_ = media.findtext("mf:hash", namespaces=NS) or ""
    url = media.findtext("mf:downloadUrl", namespaces=NS) or ""
    version = published["household_visit"].version
    assert _path(url) == f"/openrosa/forms/household_visit/versions/{version}/attachments/persons.csv"
    csv = collect.get(_path(url))
    assert_openrosa(csv, 200)
    assert csv.mimetype == "text/csv"
    assert hash_ == f"md5:{hashlib.md5(csv.data).hexdigest()}"
    header = csv.data.decode("utf-8").splitlines()[0].split(",")
    assert header[:3] == ["name", "label", "__version"]
    assert "full_name" in header[3:]
    unversioned = collect.get("/openrosa/forms/household_visit/attachments/persons.csv")
    assert unversioned.status_code == 200 and unversioned.data == csv.data
    assert parse(collect.get("/openrosa/forms/household_visit/manifest")).findall("mf:mediaFile", NS)


def test_manifest_of_a_form_without_media_is_empty(collect: Collect, published: dict[str, Any]) -> None:
    response = collect.get("/openrosa/forms/person_registration/manifest")
    assert_openrosa(response, 200)
    assert parse(response).findall("mf:mediaFile", NS) == []


def test_retired_versions_stay_downloadable_by_version(collect: Collect, db: Session,
                                                       published: dict[str, Any]) -> None:
    old = published["household_visit"]
    assert collect.get(f"/openrosa/forms/household_visit/versions/{old.version}/form.xml").status_code == 200
    assert_error(collect.get("/openrosa/forms/household_visit/versions/1999/form.xml"), 404,
                 "form.version_not_found")


def test_unknown_forms_and_media_are_404_envelopes(collect: Collect, published: dict[str, Any]) -> None:
    assert_error(collect.get("/openrosa/forms/nope/form.xml"), 404, "form.not_found")
    assert_error(collect.get("/openrosa/forms/nope/manifest"), 404, "form.not_found")
    assert_error(collect.get("/openrosa/forms/household_visit/attachments/other.csv"), 404,
                 "openrosa.media_not_found")
    assert_error(collect.get("/openrosa/forms/person_registration/attachments/persons.csv"), 404,
                 "openrosa.media_not_found")


def test_bearer_tokens_work_too(client: FlaskClient, auth: Any, published: dict[str, Any]) -> None:
    response = client.get("/openrosa/formList", headers={"X-OpenRosa-Version": "1.0", **auth.headers("worker")})
    assert_openrosa(response, 200)
    assert len(parse(response).findall("xf:xform", NS)) == len(published)


def test_a_second_upload_only_lists_the_published_version(collect: Collect, db: Session) -> None:
    upload_and_publish(db, "dispute_screening")
    forms = _xforms(collect)
    assert list(forms) == ["dispute_screening"]
