"""Exports through the API: datasets and forms in every format, scoped and masked, audited, with expiring links."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.exports import service
from server.exports.models import Export
from tests.exports.conftest import EXPORTS, export
from tests.registry.conftest import ID_A, ID_B, REGISTRATION, registration

pytestmark = pytest.mark.usefixtures("export_jobs")


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _audits(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_dataset_exports_as_excel_safe_csv_with_its_row_count_audited(client, auth, db, merge):
    first = merge(REGISTRATION, registration()).entity_uuid
    second = merge(REGISTRATION, registration("=HYPERLINK(\"http://x\")", ID_B, birth="1992-08-15")).entity_uuid
    state, data = export(client, auth, "supervisor", source="dataset", name="persons", format="csv")
    assert (state["done"], state["total"]) == (2, 2)
    rows = _csv(data)
    assert [r["uuid"] for r in rows] == [first, second]
    assert rows[0]["full_name"] == "马小红" and rows[0]["resident_id"] == "6401**********0218"
    assert rows[0]["phone"] == "138****5678"
    assert rows[1]["full_name"] == "'=HYPERLINK(\"http://x\")"  # never run as a formula
    done = _audits(db, "export.done")[-1]
    assert done.detail["rows"] == 2 and "revealed" not in done.detail


def test_full_values_only_for_a_duty_that_needs_them_and_audited(client, auth, db, merge):
    merge(REGISTRATION, registration())
    _, data = export(client, auth, "police", source="dataset", name="persons", format="csv")
    row = _csv(data)[0]
    assert row["resident_id"] == ID_A and row["phone"] == "13812345678"
    assert "occupation" not in row  # outside the police purpose: not even a column
    done = _audits(db, "export.done")[-1]
    assert done.detail["revealed"] == ["phone", "resident_id"] and done.detail["revealed_records"] == 1


def test_a_department_exports_exactly_its_purpose(client, auth, db, merge):
    merge(REGISTRATION, registration())
    _, data = export(client, auth, "hrss", source="dataset", name="persons", format="xlsx", headers="labels")
    sheet = load_workbook(io.BytesIO(data), read_only=True)["persons"]
    header, row = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "身份证号" not in header and "民族" not in header and "姓名" in header
    assert row[header.index("联系电话")] == "138****5678"
    resp = client.post(EXPORTS, json={"source": "dataset", "name": "households", "format": "csv"},
                       headers=auth.headers("education"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "export.not_found"
    assert _audits(db, "purpose.denied")[-1].detail["department"] == "education"
    resp = client.post(EXPORTS, json={"source": "form", "name": "household_visit", "format": "csv"},
                       headers=auth.headers("hrss"))
    assert resp.status_code in (404, 422)


def test_persons_as_geojson(client, auth, merge):
    person = merge(REGISTRATION, registration(), point=(113.74, 34.40)).entity_uuid
    _, data = export(client, auth, "admin", source="dataset", name="persons", format="geojson")
    collection = json.loads(data)
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["properties"]["uuid"] == person
    assert feature["geometry"]["coordinates"] == pytest.approx([113.74, 34.40])


def test_bad_requests_answer_with_stable_codes(client, auth, db, merge):
    headers = auth.headers("supervisor")
    for body, code in (
        ({"source": "table", "name": "persons", "format": "csv"}, "export.unknown_source"),
        ({"source": "dataset", "name": "persons", "format": "pdf"}, "export.unknown_format"),
        ({"source": "dataset", "name": "aliens", "format": "csv"}, "export.unknown_name"),
        ({"source": "form", "name": "no_such_form", "format": "csv"}, "export.unknown_name"),
        ({"source": "form", "name": "x", "format": "csv", "shape": "spss"}, "export.unknown_option"),
    ):
        resp = client.post(EXPORTS, json=body, headers=headers)
        assert (resp.status_code, resp.get_json()["error"]) == (422, code), body
    assert db.scalar(select(Export.id)) is None  # nothing half-made


def test_someone_elses_export_is_404_and_links_expire(client, auth, db, settings, merge):
    merge(REGISTRATION, registration())
    state, _ = export(client, auth, "supervisor", source="dataset", name="persons", format="csv")
    resp = client.get(f"{EXPORTS}/{state['id']}", headers=auth.headers("worker"))
    assert (resp.status_code, resp.get_json()["error"]) == (404, "export.not_found")
    row = db.get(Export, state["id"])
    db.refresh(row)
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    row.expires_at = long_ago.replace(year=2002)
    stale = service.download_url(settings, row, long_ago)
    own = auth.headers("supervisor")
    resp = client.get(stale, headers=own)
    assert (resp.status_code, resp.get_json()["error"]) == (410, "export.link_expired")
    forged = state["download_url"].replace("signature=", "signature=0")
    assert client.get(forged, headers=own).status_code == 404
    # the link alone opens nothing: it needs its requester's login, and another login gets 404
    assert client.get(state["download_url"]).status_code == 401
    assert client.get(state["download_url"], headers=auth.headers("admin")).status_code == 404


def test_expired_files_are_cleaned_and_their_links_gone(client, auth, db, settings, merge):
    merge(REGISTRATION, registration())
    state, _ = export(client, auth, "supervisor", source="dataset", name="persons", format="csv")
    row = db.get(Export, state["id"])
    db.refresh(row)
    path = service.file_path(settings, row)
    assert path.exists()
    assert row.expires_at is not None
    assert service.clean_expired(db, settings, row.expires_at.replace(year=row.expires_at.year + 1)) == 1
    assert not path.exists() and row.status == "expired"
    db.flush()
    assert client.get(state["download_url"], headers=auth.headers("supervisor")).status_code == 410


def test_form_submissions_in_odk_centrals_shape(client, auth, db, monkeypatch):
    from tests.submissions.support import FORM_ID, multipart, new_id, publish_registration, registration_data
    from tests.submissions.support import submission_part as part

    publish_registration(db, monkeypatch)
    db.commit()
    iid = new_id()
    resp = client.post(f"/api/v1/forms/{FORM_ID}/submissions", headers=auth.headers("worker"),
                       data=multipart(part(iid, registration_data(photo=None))), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    _, data = export(client, auth, "supervisor", source="form", name=FORM_ID, format="csv",
                     split_select_multiple=True)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [f"{FORM_ID}-children.csv", f"{FORM_ID}.csv"]
    [main] = _csv(archive.read(f"{FORM_ID}.csv"))
    header = list(main)
    assert header[0] == "SubmissionDate" and header[-6:] == [
        "KEY", "SubmitterID", "SubmitterName", "Status", "DeviceID", "FormVersion"]
    assert main["KEY"] == f"uuid:{iid}" and main["meta-instanceID"] == f"uuid:{iid}"
    assert main["identity-full_name"] == "阿依古丽" and main["identity-id_number"] == "6501**********2318"
    assert main["residence-location-Latitude"] == "34.4" and main["residence-location-Longitude"] == "113.74"
    assert (main["needs_group-needs"], main["needs_group-needs/employment"], main["needs_group-needs/medical"]) == (
        "employment medical", "1", "1")
    [child] = _csv(archive.read(f"{FORM_ID}-children.csv"))
    assert child["child_name"] == "小明"
    assert (child["PARENT_KEY"], child["KEY"]) == (f"uuid:{iid}", f"uuid:{iid}/children[1]")
    _, data = export(client, auth, "supervisor", source="form", name=FORM_ID, format="xlsx", shape="kobo",
                     values="labels")
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == [FORM_ID, f"{FORM_ID}-children"]
    header, row = [list(r) for r in book[FORM_ID].iter_rows(values_only=True)]
    assert "identity/full_name" in header and "_uuid" in header and row[header.index("_uuid")] == iid
    assert row[header.index("residence/residence_type")] not in (None, "rented")  # the choice's label
    located = client.post(f"/api/v1/forms/{FORM_ID}/submissions", headers=auth.headers("worker"),
                          data=multipart(part(new_id(), registration_data(photo=None, location=None))),
                          content_type="multipart/form-data")
    assert located.status_code == 201, located.get_json()
    state, data = export(client, auth, "supervisor", source="form", name=FORM_ID, format="geojson")
    [feature] = json.loads(data)["features"]  # only the located submission
    assert state["total"] == 1 and feature["properties"]["instanceID"] == f"uuid:{iid}"
    assert feature["geometry"]["coordinates"] == pytest.approx([113.74, 34.4])
    assert feature["properties"]["identity-id_number"] == "6501**********2318"


def test_exports_are_scoped_to_the_callers_grids(client, auth, merge, far_worker):
    from tests.registry.conftest import FAR_POINT

    near = merge(REGISTRATION, registration()).entity_uuid
    far = merge(REGISTRATION, registration("王芳", ID_B, birth="1992-08-15", point=FAR_POINT),
                username="far_worker").entity_uuid
    _, data = export(client, auth, "worker", source="dataset", name="persons", format="csv")
    assert [r["uuid"] for r in _csv(data)] == [near]
    _, data = export(client, auth, "far_worker", source="dataset", name="persons", format="geojson")
    assert [f["properties"]["uuid"] for f in json.loads(data)["features"]] == [far]
