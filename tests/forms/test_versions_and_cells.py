"""What the designer screens read: a located error's cell content, and a form's versions with who published them."""

from __future__ import annotations

import io

import openpyxl


def _book(rows: list[list[str]], version: str = "1") -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in rows:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["site_check", version, "现场检查"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, headers, data: bytes):
    return client.post("/api/v1/forms", data={"file": (io.BytesIO(data), "site_check.xlsx")}, headers=headers,
                       content_type="multipart/form-data")


def test_a_located_error_carries_the_cell_it_points_at(client, auth):
    resp = _upload(client, auth.headers("designer"), _book([
        ["type", "name", "label::zh", "relevant"],
        ["integer", "age", "年龄", "${nosuch} > 1"],
        ["wibble", "c", "C", ""],
    ]))
    assert resp.status_code == 422
    by_cell = {(e["row"], e["column"]): e for e in resp.get_json()["errors"]["workbook"]}
    assert by_cell[(2, "relevant")]["value"] == "${nosuch} > 1"
    assert by_cell[(3, "type")]["value"] == "wibble"


def test_a_problem_without_a_cell_has_no_value(client, auth):
    resp = _upload(client, auth.headers("designer"), _book([["name", "label"], ["age", "Age"]]))
    assert resp.status_code == 422
    header = next(e for e in resp.get_json()["errors"]["workbook"] if e["code"] == "form.missing_column")
    assert header["row"] == 1 and header["value"] is None


def test_versions_list_who_published_what_and_when(client, auth):
    designer = auth.headers("designer")
    rows = [["type", "name", "label::zh"], ["integer", "age", "年龄"]]
    assert _upload(client, designer, _book(rows, "1")).status_code == 201
    assert client.post("/api/v1/forms/site_check/draft/publish", headers=auth.headers("admin")).status_code == 200
    assert _upload(client, designer, _book(rows + [["text", "name", "姓名"]], "2")).status_code == 201

    resp = client.get("/api/v1/forms/site_check/versions", headers=designer)
    assert resp.status_code == 200
    listed = resp.get_json()
    assert [(v["version"], v["state"]) for v in listed] == [("2", "draft"), ("1", "published")]
    assert listed[1]["published_by"] == "admin" and listed[1]["published_at"]
    assert listed[1]["uploaded_by"] == "designer"
    assert listed[0]["published_by"] is None and listed[0]["published_at"] is None


def test_only_designers_and_admins_list_versions(client, auth):
    _upload(client, auth.headers("designer"), _book([["type", "name", "label"], ["integer", "age", "Age"]]))
    assert client.get("/api/v1/forms/site_check/versions", headers=auth.headers("supervisor")).status_code == 403
    assert client.get("/api/v1/forms/nope/versions", headers=auth.headers("designer")).status_code == 404
