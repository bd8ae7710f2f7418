"""The import API: an administrator's upload, its progress and report; whole-file refusals with stable codes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from tests.imports.support import csv_bytes, person, xlsx_bytes


@pytest.fixture
def upload(client: Any, auth: Any, job_context: None) -> Any:
    def post(data: bytes, filename: str = "persons.csv", username: str = "admin", **fields: Any) -> Any:
        form = {"dataset": "persons", "source": "police-platform", **fields, "file": (io.BytesIO(data), filename)}
        return client.post("/api/v1/imports", data=form, headers=auth.headers(username),
                           content_type="multipart/form-data")

    return post


def test_upload_answers_202_and_the_import_reports_progress_and_rows(client, auth, db, upload, grid):
    resp = upload(csv_bytes([person(1, grid), person(2, grid, birth_date="yesterday")], "gb18030"))
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"id", "status"}
    got = client.get(f"/api/v1/imports/{body['id']}", headers=auth.headers("admin")).get_json()
    assert (got["status"], got["done"], got["total"], got["encoding"]) == ("done", 2, 2, "gb18030")
    assert got["report"]["counts"]["created"] == 1
    assert got["report"]["rows"]["refused"] == [{"row": 3, "code": "row.bad_date", "problems": [
        {"column": "birth_date", "code": "row.bad_date", "message": "不是有效日期"}]}]
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "import",
                                                         AuditEvent.target_id == str(body["id"]))).all()
    assert sorted(actions) == ["import.created", "import.finished"]


def test_a_mapping_may_come_as_a_part_and_xlsx_as_the_file(client, auth, upload, grid):
    rows = [{"姓名": "马小红", "网格": grid}]
    resp = upload(xlsx_bytes(rows), "平台导出.xlsx", mapping="姓名: full_name\n网格: grid\n")
    assert resp.status_code == 202, resp.get_json()
    got = client.get(f"/api/v1/imports/{resp.get_json()['id']}", headers=auth.headers("admin")).get_json()
    assert (got["format"], got["report"]["counts"]["created"]) == ("xlsx", 1)


def test_only_administrators_import_or_read_imports(client, auth, upload, grid):
    for username in ("supervisor", "worker", "police"):
        resp = upload(csv_bytes([person(1, grid)]), username=username)
        assert (resp.status_code, resp.get_json()["error"]) == (403, "import.forbidden")
    assert client.get("/api/v1/imports/1", headers=auth.headers("supervisor")).get_json()["error"] == "import.forbidden"
    assert client.get("/api/v1/imports/999999", headers=auth.headers("admin")).status_code == 404


@pytest.mark.parametrize(("data", "filename", "fields", "code"), [
    (b"", "persons.csv", {}, "import.empty_file"),
    (b"PK\x03\x04 not really", "persons.xlsx", {}, "import.not_a_workbook"),
    (b"full_name,grid\n\x00\x00\x00", "persons.csv", {}, "import.not_text"),
    ("full_name,grid\n马小红,1\n".encode("gb18030"), "persons.csv", {"encoding": "utf-8"}, "import.bad_encoding"),
    ("full_name,grid,身高\n马小红,1,170\n".encode(), "persons.csv", {}, "import.unknown_columns"),
    (b"resident_id,grid\n1,1\n", "persons.csv", {}, "import.missing_columns"),
    ("full_name,grid\n马小红,1\n".encode(), "persons.csv", {"source": "Police Platform!"}, "import.bad_source"),
    ("full_name,grid\n马小红,1\n".encode(), "persons.csv", {"mapping": "{a: ["}, "import.bad_mapping"),
])
def test_a_bad_file_is_refused_whole_with_a_stable_code(upload, db, data, filename, fields, code):
    resp = upload(data, filename, **fields)
    assert (resp.status_code, resp.get_json()["error"]) == (422, code), resp.get_json()


def test_an_unknown_dataset_and_a_missing_file(client, auth, upload):
    assert upload(b"full_name\n", dataset="cars").status_code == 404
    resp = client.post("/api/v1/imports", data={"dataset": "persons", "source": "x"},
                       headers=auth.headers("admin"), content_type="multipart/form-data")
    assert (resp.status_code, resp.get_json()["error"]) == (400, "import.missing_file")


def test_a_file_over_the_limit_is_413(app, upload, grid):
    settings = app.extensions["gridreg"].settings
    app.extensions["gridreg"].settings = settings.with_(max_import_bytes=2_000)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1_000
    try:
        small = upload(csv_bytes([person(1, grid)]))  # over the app's upload limit, within the import limit
        assert small.status_code == 202, small.get_json()
        big = csv_bytes([person(n, grid) for n in range(1, 40)])
        resp = upload(big)
        assert (resp.status_code, resp.get_json()["error"]) == (413, "import.too_large")
        huge = upload(b"full_name,grid\n" + b"x,1\n" * 40_000)  # refused from its Content-Length, unread
        assert (huge.status_code, huge.get_json()["error"]) == (413, "import.too_large")
    finally:
        app.extensions["gridreg"].settings = settings
        app.config["MAX_CONTENT_LENGTH"] = limit
