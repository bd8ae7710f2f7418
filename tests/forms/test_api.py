"""Uploading, publishing and reading forms over HTTP."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from tests.unit.forms.fixtures.workbooks import xlsform

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


def _with_member(workbook: bytes, member: str) -> bytes:
    """The workbook's zip with one more member, named as given (no normalising)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(zipfile.ZipInfo(member), b"x")
    return out.getvalue()


@pytest.mark.parametrize("member", ["../x", "/etc/x", "xl/../../x", "..\\x", "C:/x", "xl/\x01x"])
def test_workbook_with_members_outside_the_archive_is_not_a_workbook(client, auth, member):
    designer = auth.headers("designer")
    resp = _upload(client, designer, _with_member(_workbook(), member))
    assert resp.status_code == 422, resp.get_json()
    body = resp.get_json()
    assert body["error"] == "form.invalid_workbook"
    assert [(e["sheet"], e["row"], e["column"], e["code"]) for e in body["errors"]["workbook"]] == [
        (None, None, None, "form.not_a_workbook")]
    assert client.get("/api/v1/forms", headers=designer).get_json() == []


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


# --------------------------------------------------------------------------- XLSForm compatibility
# Workbooks pyxform accepts are accepted, compile to a definition the server validates
# submissions against; features the product cannot serve, and workbooks ODK Collect would
# refuse to open, are refused with a located problem.
def _accepted_definition(client, auth, data: bytes, form_id: str) -> dict:
    designer = auth.headers("designer")
    resp = _upload(client, designer, data)
    assert resp.status_code == 201, resp.get_json()
    draft = client.get(f"/api/v1/forms/{form_id}/draft", headers=designer)
    assert draft.status_code == 200
    definition: dict = draft.get_json()["definition"]
    return definition


def _issues(definition: dict, data: dict, attachments: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    from server.forms.validator import check_submission

    return {(i.path, i.code) for i in check_submission(definition, data, attachments=attachments)}


def _settings(form_id: str, **extra: str) -> list[dict[str, str]]:
    return [{"form_id": form_id, "version": "1", **extra}]


YES_NO = [{"list_name": "yn", "name": "yes", "label": "是"}, {"list_name": "yn", "name": "no", "label": "否"}]


def test_choices_header_written_list_name_with_a_space(client, auth):
    choices = [{"list name": c["list_name"], "name": c["name"], "label": c["label"]} for c in YES_NO]
    data = xlsform([{"type": "select_one yn", "name": "ok", "label": "好吗"}], choices, _settings("spaced"))
    definition = _accepted_definition(client, auth, data, "spaced")
    assert [c["name"] for c in definition["choices"]["yn"]] == ["yes", "no"]
    assert _issues(definition, {"ok": "yes"}) == set()
    assert _issues(definition, {"ok": "maybe"}) == {("/data/ok", "value.choice_unknown")}


def test_capitalised_sheet_names_and_headers(client, auth):
    survey = [{"Type": "integer", "Name": "age", "Label": "年龄", "Constraint": ". < 150"},
              {"Type": "select_one yn", "Name": "ok", "Label": "好吗", "Relevant": "${age} > 1"}]
    choices = [{"List_Name": c["list_name"], "Name": c["name"], "Label": c["label"]} for c in YES_NO]
    data = xlsform(survey, choices, [{"Form_ID": "caps", "Version": "3"}],
                   titles={"survey": "Survey", "choices": "Choices", "settings": "Settings"})
    definition = _accepted_definition(client, auth, data, "caps")
    assert definition["version"] == "3"
    assert _issues(definition, {"age": "30", "ok": "no"}) == set()
    assert _issues(definition, {"age": "200", "ok": "no"}) == {("/data/age", "value.constraint")}
    assert _issues(definition, {"age": "1", "ok": "no"}) == {("/data/ok", "value.not_relevant")}


def test_same_name_in_different_groups_and_repeats(client, auth):
    survey = [
        {"type": "begin_group", "name": "husband", "label": "丈夫"},
        {"type": "text", "name": "name", "label": "姓名"},
        {"type": "integer", "name": "age", "label": "年龄"},
        {"type": "calculate", "name": "stamp", "calculation": "now()"},
        {"type": "end_group"},
        {"type": "begin_group", "name": "wife", "label": "妻子"},
        {"type": "text", "name": "name", "label": "姓名"},
        {"type": "integer", "name": "age", "label": "年龄", "constraint": ". >= 18"},
        {"type": "calculate", "name": "stamp", "calculation": "string-length(${note})"},
        {"type": "end_group"},
        {"type": "begin_repeat", "name": "children", "label": "子女"},
        {"type": "text", "name": "name", "label": "姓名"},
        {"type": "end_repeat"},
        {"type": "text", "name": "note", "label": "备注"},
    ]
    definition = _accepted_definition(client, auth, xlsform(survey, (), _settings("couple")), "couple")
    good = {"husband": {"name": "甲", "age": "40", "stamp": "2026-01-01T08:00:00+08:00"},
            "wife": {"name": "乙", "age": "38", "stamp": "2"}, "children": [{"name": "丙"}], "note": "ok"}
    assert _issues(definition, good) == set()
    bad = {**good, "wife": {"name": "乙", "age": "16", "stamp": "9"}}
    assert _issues(definition, bad) == {("/data/wife/age", "value.constraint"),
                                        ("/data/wife/stamp", "value.calculation_mismatch")}


def test_a_reference_to_a_name_used_twice_is_refused_where_it_is_written(client, auth):
    survey = [
        {"type": "begin_group", "name": "a", "label": "A"}, {"type": "integer", "name": "age", "label": "年龄"},
        {"type": "end_group"},
        {"type": "begin_group", "name": "b", "label": "B"}, {"type": "integer", "name": "age", "label": "年龄"},
        {"type": "end_group"},
        {"type": "note", "name": "n", "label": "年龄 ${age}", "relevant": "${age} > 1"},
    ]
    resp = _upload(client, auth.headers("designer"), xlsform(survey, (), _settings("ambiguous")))
    assert resp.status_code == 422
    located = {(e["sheet"], e["row"], e["column"], e["code"]) for e in resp.get_json()["errors"]["workbook"]}
    assert located == {("survey", 8, "label", "form.ambiguous_reference"),
                       ("survey", 8, "relevant", "form.ambiguous_reference")}


def test_last_saved_references(client, auth):
    survey = [{"type": "text", "name": "village", "label": "村", "default": "${last-saved#village}"},
              {"type": "integer", "name": "n", "label": "人数",
               "relevant": "${last-saved#village} != 'x' or true()"},
              {"type": "calculate", "name": "same", "calculation": "${village} = ${last-saved#village}"}]
    definition = _accepted_definition(client, auth, xlsform(survey, (), _settings("last_saved")), "last_saved")
    assert _issues(definition, {"village": "东村", "n": "3", "same": "true"}) == set()
    assert _issues(definition, {"village": "东村", "n": "x", "same": "false"}) == {("/data/n", "value.type")}


def test_select_one_from_the_answers_of_a_repeat(client, auth):
    survey = [{"type": "begin_repeat", "name": "members", "label": "成员"},
              {"type": "text", "name": "member", "label": "姓名"},
              {"type": "end_repeat"},
              {"type": "select_one ${member}", "name": "head", "label": "户主"},
              {"type": "select_one ${member}", "name": "helper", "label": "协助人",
               "choice_filter": "position() > 1"}]
    definition = _accepted_definition(client, auth, xlsform(survey, (), _settings("from_repeat")), "from_repeat")
    members = [{"member": "张三"}, {"member": "李四"}, {"member": ""}]
    assert _issues(definition, {"members": members, "head": "李四", "helper": "李四"}) == set()
    assert _issues(definition, {"members": members, "head": "王五", "helper": "张三"}) == {
        ("/data/head", "value.choice_unknown"), ("/data/helper", "value.choice_filtered")}


def test_audit_row_without_a_name_enclosed_area_and_instance_id(client, auth):
    survey = [{"type": "audit", "name": "", "label": ""},
              {"type": "geoshape", "name": "plot", "label": "地块", "constraint": "enclosed-area(.) > 1"},
              {"type": "calculate", "name": "key", "label": "", "calculation": "concat('k-', ${instanceID})"}]
    definition = _accepted_definition(client, auth, xlsform(survey, (), _settings("odd_meta")), "odd_meta")
    assert [f["name"] for f in definition["fields"][-1]["children"]] == ["audit", "instanceID"]
    square = "34.75 113.62 0 0; 34.75 113.63 0 0; 34.76 113.63 0 0; 34.76 113.62 0 0; 34.75 113.62 0 0"
    tiny = "34.75 113.62 0 0; 34.75 113.62001 0 0; 34.75001 113.62001 0 0; 34.75 113.62 0 0"
    meta = {"instanceID": "uuid:0b7e8c1a-1111-4222-8333-444455556666", "audit": "audit.csv"}
    key = "k-" + meta["instanceID"]
    assert _issues(definition, {"plot": square, "key": key, "meta": meta}, ("audit.csv",)) == set()
    assert _issues(definition, {"plot": tiny, "key": "k-", "meta": meta}) == {
        ("/data/plot", "value.constraint"), ("/data/key", "value.calculation_mismatch"),
        ("/data/meta/audit", "value.attachment_missing")}


def test_allow_choice_duplicates_setting(client, auth):
    choices = [*YES_NO, {"list_name": "yn", "name": "yes", "label": "对"}]
    survey = [{"type": "select_one yn", "name": "ok", "label": "好吗"}]
    refused = _upload(client, auth.headers("designer"), xlsform(survey, choices, _settings("dups")))
    assert refused.status_code == 422
    assert {(e["row"], e["code"]) for e in refused.get_json()["errors"]["workbook"]} == {
        (4, "form.duplicate_choice")}
    data = xlsform(survey, choices, _settings("dups", allow_choice_duplicates="yes"))
    definition = _accepted_definition(client, auth, data, "dups")
    assert _issues(definition, {"ok": "yes"}) == set()


def test_bare_media_column_is_not_a_500(client, auth):
    survey = [{"type": "text", "name": "a", "label": "A", "media": "a.jpg"},
              {"type": "text", "name": "b", "label": "B", "media::image": "b.jpg"}]
    definition = _accepted_definition(client, auth, xlsform(survey, (), _settings("bare_media")), "bare_media")
    assert definition["media_files"] == ["b.jpg"]
    assert _issues(definition, {"a": "x", "b": "y"}) == set()


@pytest.mark.parametrize(("rows", "row", "column", "what"), [
    ([{"type": "begin_loop over yn", "name": "each", "label": "每项"}, {"type": "text", "name": "x", "label": "X"},
      {"type": "end_loop"}], 2, "type", "begin_loop"),
    ([{"type": "osm", "name": "building", "label": "建筑"}], 2, "type", "osm"),
    ([{"type": "text", "name": "a", "label": "A"}, {"type": "osm building_tags", "name": "b", "label": "B"}],
     3, "type", "osm"),
    ([{"type": "select_one yn", "name": "a", "label": "A"},
      {"type": "select_one_external city", "name": "b", "label": "B", "choice_filter": "state=${a}"}],
     3, "type", "select_one_external"),
])
def test_features_the_product_cannot_serve_are_refused_as_unsupported(client, auth, rows, row, column, what):
    cities = [{"list_name": "city", "name": "zz", "label": "郑州", "state": "yes"}]
    data = xlsform(rows, YES_NO, _settings("unsupported"), external_choices=cities)
    resp = _upload(client, auth.headers("designer"), data)
    assert resp.status_code == 422
    problems = resp.get_json()["errors"]["workbook"]
    assert [(p["sheet"], p["row"], p["column"], p["code"]) for p in problems] == [
        ("survey", row, column, "form.unsupported_type")]
    assert what in problems[0]["message"] and "不支持" in problems[0]["message"]
    assert client.get("/api/v1/forms", headers=auth.headers("designer")).get_json() == []


def test_choices_without_a_label_are_refused(client, auth):
    choices = [{"list_name": "yn", "name": "yes", "label": "是"}, {"list_name": "yn", "name": "no"},
               {"list_name": "unused", "name": "x"}]
    survey = [{"type": "select_one yn", "name": "ok", "label": "好吗"}]
    resp = _upload(client, auth.headers("designer"), xlsform(survey, choices, _settings("no_label")))
    assert resp.status_code == 422
    problems = resp.get_json()["errors"]["workbook"]
    assert [(p["sheet"], p["row"], p["column"], p["code"]) for p in problems] == [
        ("choices", 3, "label", "form.choice_without_label")]
    assert "标签" in problems[0]["message"]


@pytest.mark.parametrize("inside", [[], [{"type": "calculate", "name": "c", "calculation": "1"}]])
def test_empty_group_is_refused(client, auth, inside):
    survey = [{"type": "text", "name": "a", "label": "A"}, {"type": "begin_group", "name": "g", "label": "组"},
              *inside, {"type": "end_group"}]
    resp = _upload(client, auth.headers("designer"), xlsform(survey, (), _settings("empty_group")))
    assert resp.status_code == 422
    problems = resp.get_json()["errors"]["workbook"]
    assert [(p["sheet"], p["row"], p["column"], p["code"]) for p in problems] == [
        ("survey", 3, "type", "form.empty_group")]
    assert "g" in problems[0]["message"] and "空" in problems[0]["message"]


def test_older_spellings_pyxform_still_reads(client, auth):
    survey = [{"type": "note", "label:english": "Welcome"},
              {"type": "int", "name": "age", "label:english": "Age"},
              {"type": "gps", "name": "where", "label:english": "Where"},
              {"type": "select one from yn or specify other", "name": "ok", "label:english": "OK?"},
              {"type": "select_one pics", "name": "face", "label:english": "Face"}]
    choices = [{"list name": "yn", "name": "yes", "label:english": "Yes"},
               {"list name": "yn", "name": "no", "label:english": "No"},
               {"list name": "pics", "name": "happy", "image:english": "happy.jpg"}]
    definition = _accepted_definition(client, auth, xlsform(survey, choices, _settings("old_style")), "old_style")
    assert [(f["name"], f["type"]) for f in definition["fields"][:6]] == [
        ("generated_note_name_2", "note"), ("age", "integer"), ("where", "geopoint"), ("ok", "select_one"),
        ("ok_other", "text"), ("face", "select_one")]
    assert _issues(definition, {"age": "40", "where": "34.7 113.6 0 0", "ok": "other", "ok_other": "maybe",
                                "face": "happy"}) == set()
    assert _issues(definition, {"age": "forty", "where": "north", "ok": "yes"}) == {
        ("/data/age", "value.type"), ("/data/where", "value.type")}
