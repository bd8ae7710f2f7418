"""Sensitive answers in a submission are masked unless the caller's duty needs them; full reads are audited."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.domain.datasets import PropertyType
from server.submissions.privacy import derived_paths, sensitive_paths
from tests.submissions.support import (
    LABELLED_FORM_ID,
    assert_masked_and_sealed,
    labelled_by_id_data,
    multipart,
    new_id,
    publish_labelled_by_id,
    registration_data,
    submission_part,
)

URL = "/api/v1/forms/person_registration/submissions"


def _submit(client, auth):
    instance_id = new_id()
    resp = client.post(URL, data=multipart(submission_part(instance_id, registration_data(photo=None))),
                       headers=auth.headers("worker"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return instance_id


def _identity(body):
    data = body["data"]
    return (data.get("data") or data)["identity"]


def test_sensitive_paths_come_from_the_form(registration):
    paths = sensitive_paths(registration.definition)
    assert {"/data/identity/id_number", "/data/identity/phone", "/data/identity/ethnicity"} <= set(paths)
    assert "/data/identity/full_name" not in paths


def test_the_paths_a_form_pinned_when_compiled_win_over_the_citys_file():
    definition = {"fields": [], "entities": {"dataset": "persons", "save_to": {
        "/data/work_phone": "work_phone", "/data/mobile": "phone"}, "sensitive": {"/data/work_phone": "phone"}}}
    assert {path: kind.value for path, kind in sensitive_paths(definition).items()} == {"/data/work_phone": "phone"}
    del definition["entities"]["sensitive"]  # compiled before forms pinned them: the file's declarations
    assert {path: kind.value for path, kind in sensitive_paths(definition).items()} == {"/data/mobile": "phone"}


def test_workers_and_supervisors_see_masked_numbers(client, auth, registration):
    instance_id = _submit(client, auth)
    for user in ("worker", "supervisor"):
        body = client.get(f"/api/v1/submissions/{instance_id}", headers=auth.headers(user)).get_json()
        identity = _identity(body)
        assert identity["id_number"] == "6501**********2318", user
        assert identity["phone"] == "138****5678", user
        assert identity["ethnicity"] == "05", user  # registry staff work with ethnicity
        assert identity["full_name"] == "阿依古丽"


def test_full_values_for_admin_are_audited(client, auth, registration, db):
    instance_id = _submit(client, auth)
    body = client.get(f"/api/v1/submissions/{instance_id}", headers=auth.headers("admin")).get_json()
    assert _identity(body)["id_number"] == "650102199003072318"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.read")
                       .order_by(AuditEvent.id.desc())).first()
    # the answers, and what the form computes from the ID number (check digit, birth date, sex)
    assert event.detail["unmasked"] == [
        "/data/identity/id_birth_date", "/data/identity/id_check_char", "/data/identity/id_number",
        "/data/identity/id_remainder", "/data/identity/id_sex", "/data/identity/phone"]


def test_the_submit_answer_shows_no_data_to_leak(client, auth, registration):
    instance_id = new_id()
    resp = client.post(URL, data=multipart(submission_part(instance_id, registration_data(photo=None))),
                       headers=auth.headers("worker"), content_type="multipart/form-data")
    assert "650102199003072318" not in resp.get_data(as_text=True)


# --------------------------------------------------------------------------- values computed from sensitive answers


@pytest.fixture
def merging(app, settings, engine, maker, monkeypatch):
    """Inline jobs on the test's connection; validation rings the registry's merge."""
    from server import worker
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


def test_values_computed_from_the_id_number_are_derived_sensitive(db):
    definition = publish_labelled_by_id(db).definition
    assert derived_paths(definition) == {
        path: PropertyType.CN_RESIDENT_ID
        for path in ("/data/card", "/data/card_tag", "/data/id_tail", "/data/meta/instanceName",
                     "/data/meta/entity/label")}


def test_labels_and_names_computed_from_the_id_number_stay_masked_and_sealed(client, auth, db, merging):
    publish_labelled_by_id(db)
    iid, entity_id = new_id(), str(uuid.uuid4())
    part = json.dumps({"instance_id": iid, "form_version": "1",
                       "data": labelled_by_id_data(f"uuid:{iid}", entity_id)}, ensure_ascii=False).encode()
    resp = client.post(f"/api/v1/forms/{LABELLED_FORM_ID}/submissions", data=multipart(part),
                       headers=auth.headers("worker"), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert_masked_and_sealed(client, auth, db, f"uuid:{iid}", entity_id)
