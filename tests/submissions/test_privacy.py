"""Sensitive answers in a submission are masked unless the caller's duty needs them; full reads are audited."""

from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.submissions.privacy import sensitive_paths
from tests.submissions.support import multipart, new_id, registration_data, submission_part

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
    assert event.detail["unmasked"] == ["/data/identity/id_number", "/data/identity/phone"]


def test_the_submit_answer_shows_no_data_to_leak(client, auth, registration):
    instance_id = new_id()
    resp = client.post(URL, data=multipart(submission_part(instance_id, registration_data(photo=None))),
                       headers=auth.headers("worker"), content_type="multipart/form-data")
    assert "650102199003072318" not in resp.get_data(as_text=True)
