"""Uploading, publishing and reading forms over HTTP."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _workbook(form_id: str = "site_check", version: str = "1", label: str = "检查") -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::zh", "label::en", "relevant"])
    survey.append(["integer", "people", "人数", "People", ""])
    survey.append(["text", "note_text", label, "Note", "${people} > 0"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append([form_id, version, "现场检查", "zh"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, headers, data: bytes, name: str = "form.xlsx"):
    return client.post("/api/v1/forms", data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def test_designer_uploads_publishes_and_worker_reads(client, auth):
    designer = auth.headers("designer")
    resp = _upload(client, designer, _workbook())
    assert resp.status_code == 201
    assert resp.get_json() == {"form_id": "site_check", "version": "1", "state": "draft", "undeclared": []}

    worker = auth.headers("worker")
    assert "site_check" not in [f["form_id"] for f in client.get("/api/v1/forms", headers=worker).get_json()]
    assert client.get("/api/v1/forms/site_check", headers=worker).status_code == 404
    assert client.get("/api/v1/forms/site_check/versions/1", headers=worker).status_code == 404
    assert client.get("/api/v1/forms/site_check/draft", headers=designer).status_code == 200

    assert client.post("/api/v1/forms/site_check/draft/publish", headers=designer).status_code == 200
    listed = client.get("/api/v1/forms", headers=worker).get_json()
    assert {"form_id": "site_check", "version": "1"}.items() <= next(
        f for f in listed if f["form_id"] == "site_check").items()
    body = client.get("/api/v1/forms/site_check", headers=worker).get_json()
    assert body["version"] == "1" and body["state"] == "published"
    assert [f["name"] for f in body["definition"]["fields"]][:2] == ["people", "note_text"]


def test_new_version_retires_the_old_one(client, auth):
    designer = auth.headers("designer")
    _upload(client, designer, _workbook(version="1"))
    client.post("/api/v1/forms/site_check/draft/publish", headers=designer)
    _upload(client, designer, _workbook(version="2"))
    client.post("/api/v1/forms/site_check/draft/publish", headers=designer)
    assert client.get("/api/v1/forms/site_check", headers=designer).get_json()["version"] == "2"
    old = client.get("/api/v1/forms/site_check/versions/1", headers=auth.headers("worker")).get_json()
    assert old["state"] == "retired"


def test_published_version_with_other_content_conflicts(client, auth):
    designer = auth.headers("designer")
    _upload(client, designer, _workbook(label="检查"))
    client.post("/api/v1/forms/site_check/draft/publish", headers=designer)
    same = _upload(client, designer, _workbook(label="检查"))
    assert same.status_code == 201 and same.get_json()["state"] == "published"
    changed = _upload(client, designer, _workbook(label="另一个标签"))
    assert changed.status_code == 409 and changed.get_json()["error"] == "form.version_conflict"


def test_only_designers_and_admins_upload(client, auth):
    for user in ("worker", "supervisor", "police"):
        assert _upload(client, auth.headers(user), _workbook()).status_code == 403
    assert _upload(client, {}, _workbook()).status_code == 401


def test_bad_workbook_is_refused_with_located_errors_and_nothing_stored(client, auth):
    designer = auth.headers("designer")
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "calculation"])
    survey.append(["integer", "age", "Age", "${nosuch} > 1", ""])
    survey.append(["calculate", "a", "", "", "${b} + 1"])
    survey.append(["calculate", "b", "", "", "${a} + 1"])
    survey.append(["wibble", "c", "C", "", ""])
    survey.append(["text", "age", "Age again", "", ""])
    out = io.BytesIO()
    book.save(out)
    resp = _upload(client, designer, out.getvalue(), "bad.xlsx")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "form.invalid_workbook"
    located = {(e["row"], e["column"], e["code"]) for e in body["errors"]["workbook"]}
    assert located >= {(2, "relevant", "form.unknown_reference"), (3, "calculation", "form.calculation_cycle"),
                       (5, "type", "form.unknown_type"), (6, "name", "form.duplicate_name")}
    assert all(e["sheet"] == "survey" for e in body["errors"]["workbook"])
    assert client.get("/api/v1/forms", headers=designer).get_json() == []


@pytest.mark.parametrize("payload", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_garbage_upload_is_422(client, auth, payload):
    resp = _upload(client, auth.headers("designer"), payload, "x.xlsx")
    assert resp.status_code == 422 and resp.get_json()["error"] == "form.invalid_workbook"


def test_upload_without_file_field(client, auth):
    resp = client.post("/api/v1/forms", data={"other": "x"}, headers=auth.headers("designer"),
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]


def test_publish_without_draft_and_unknown_form(client, auth):
    designer = auth.headers("designer")
    assert client.post("/api/v1/forms/nope/draft/publish", headers=designer).status_code == 404
    _upload(client, designer, _workbook())
    client.post("/api/v1/forms/site_check/draft/publish", headers=designer)
    resp = client.post("/api/v1/forms/site_check/draft/publish", headers=designer)
    assert resp.status_code == 404 and resp.get_json()["error"] == "form.no_draft"


def test_city_forms_load_and_compile(db):
    from server.accounts.service import list_users
    from server.forms.service import list_forms, load_directory

    results = load_directory(db, FORMS)
    assert {r.form_id for r in results} >= {"person_registration", "household_visit", "follow_up",
                                             "dispute_screening", "move_out"}
    assert all(r.state == "published" for r in results)
    again = load_directory(db, FORMS)
    assert not any(r.created for r in again)
    admin = next(u for u in list_users(db) if u.username == "admin")
    assert len(list_forms(db, admin)) == len(results)
