"""The intake endpoint and the supervisor's list and detail."""

from __future__ import annotations

import io
import json

import pytest

from tests.submissions.support import (
    FORM_ID,
    jpeg,
    multipart,
    new_id,
    png_bomb,
    registration_data,
    submission_part,
)

URL = f"/api/v1/forms/{FORM_ID}/submissions"


def post(client, auth, part, files=None, user="worker"):
    return client.post(URL, data=multipart(part, files), headers=auth.headers(user),
                       content_type="multipart/form-data")


def test_new_submission_201_then_validated_inline(client, auth, registration):
    iid = new_id()
    resp = post(client, auth, submission_part(iid, registration_data()), {"photo.jpg": jpeg()})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["instance_id"] == f"uuid:{iid}"
    assert body["grid"] == "410184105005004"
    detail = client.get(f"/api/v1/submissions/{iid}", headers=auth.headers("supervisor")).get_json()
    assert detail["status"] == "validated", detail["errors"]
    assert detail["flags"] == {}
    [att] = detail["attachments"]
    assert att["name"] == "photo.jpg" and att["content_type"] == "image/jpeg" and att["received"]
    assert att["derivatives"] == "ready"
    assert set(att["urls"]) == {"original", "display", "thumb"}
    assert detail["versions"] == [{"instance_id": f"uuid:{iid}", "deprecated_id": None, "status": "validated",
                                   "received_at": detail["received_at"]}]

