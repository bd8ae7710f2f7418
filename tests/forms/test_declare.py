"""Uploading a form whose save_to names properties the dataset lacks: refused and located, or declared on publish."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.registry import declarations
from server.registry.models import DatasetVersion


def _workbook(*extra: tuple[str, str, str, str], form_id: str = "hobby_survey") -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::zh", "label::en", "save_to"])
    survey.append(["text", "full_name", "姓名", "Name", "full_name"])
    for row in extra:
        survey.append(list(row))
    entities = book.create_sheet("entities")
    entities.append(["list_name", "label"])
    entities.append(["persons", "${full_name}"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append([form_id, "1", "爱好调查", "zh"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, auth, data: bytes, query: str = ""):
    return client.post(f"/api/v1/forms{query}", data={"file": (io.BytesIO(data), "hobby.xlsx")},
                       headers=auth.headers("designer"), content_type="multipart/form-data")


HOBBY = ("text", "hobby", "爱好", "Hobby", "hobby")


def test_an_undeclared_property_is_a_located_422_naming_the_endpoint(client, auth):
    resp = _upload(client, auth, _workbook(HOBBY))
    assert resp.status_code == 422
    (problem,) = resp.get_json()["errors"]["workbook"]
    assert problem == {**problem, "sheet": "survey", "row": 3, "column": "save_to", "code": "form.unknown_property"}
    assert "'hobby'" in problem["message"]
    assert "POST /api/v1/registry/datasets/persons/properties" in problem["message"]


def test_declare_text_declares_it_on_publish(client, auth, db):
    resp = _upload(client, auth, _workbook(HOBBY), "?declare=text")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["undeclared"] == ["hobby"]
    assert "hobby" not in declarations.spec(db, "persons").properties  # not before publishing
    published = client.post("/api/v1/forms/hobby_survey/draft/publish", headers=auth.headers("designer"))
    assert published.status_code == 200, published.get_json()
    db.expire_all()
    declarations.changed(db)
    hobby = declarations.spec(db, "persons").properties["hobby"]
    assert (hobby.type.value, hobby.sensitive, hobby.label_zh) == ("text", False, "爱好")
    version = db.scalar(select(DatasetVersion).order_by(DatasetVersion.id.desc()))
    assert version.source == "form"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "dataset.declare").order_by(AuditEvent.id.desc()))
    assert event.detail["added"] == ["hobby"] and event.detail["source"] == "form"


def test_names_that_look_sensitive_must_be_declared_with_their_type(client, auth):
    rows = [("text", "spouse_id_no", "配偶证件号", "Spouse ID", "spouse_id_no"),
            ("text", "contact", "联系电话", "Contact", "contact"),
            ("text", "mobile_2", "第二号码", "Second", "mobile_2"),
            ("text", "minzu", "民族（配偶）", "Spouse's group", "minzu")]
    resp = _upload(client, auth, _workbook(*rows), "?declare=text")
    assert resp.status_code == 422
    problems = resp.get_json()["errors"]["workbook"]
    assert [(p["row"], p["column"], p["code"]) for p in problems] == [
        (3, "save_to", "form.sensitive_property"), (4, "save_to", "form.sensitive_property"),
        (5, "save_to", "form.sensitive_property"), (6, "save_to", "form.sensitive_property")]
    assert all("/api/v1/registry/datasets/{dataset}/properties" in p["message"] for p in problems)


def test_an_invalid_property_name_is_located_too(client, auth):
    long_name = "a_" + "very_" * 13 + "long_name"  # valid XML, longer than a property name may be
    resp = _upload(client, auth, _workbook(("text", "odd", "奇怪", "Odd", long_name)), "?declare=text")
    assert resp.status_code == 422
    (problem,) = resp.get_json()["errors"]["workbook"]
    assert (problem["row"], problem["column"], problem["code"]) == (3, "save_to", "form.invalid_property")


def test_declare_accepts_only_text(client, auth):
    resp = _upload(client, auth, _workbook(HOBBY), "?declare=integer")
    assert resp.status_code == 422, resp.get_json()
    assert "declare" in str(resp.get_json()["errors"])


def test_a_form_pins_which_answers_are_personal_data_when_compiled(client, auth):
    declared = client.post("/api/v1/registry/datasets/persons/properties", headers=auth.headers("designer"),
                           json={"name": "work_phone", "type": "phone", "label_zh": "单位电话"})
    assert declared.status_code == 201
    resp = _upload(client, auth, _workbook(("text", "work_phone", "单位电话", "Work phone", "work_phone")))
    assert resp.status_code == 201, resp.get_json()
    draft = client.get("/api/v1/forms/hobby_survey/draft", headers=auth.headers("designer")).get_json()
    assert draft["definition"]["entities"]["sensitive"] == {"/data/work_phone": "phone"}
