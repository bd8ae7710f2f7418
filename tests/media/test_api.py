"""Attachments are served, with derivatives, only to users whose scope covers the submission."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from server.accounts.service import create_user
from server.demo import DEMO_PASSWORD
from server.geo.models import AdminUnit
from tests.submissions.support import FORM_ID, jpeg, multipart, new_id, registration_data, submission_part

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")


def fetch(client, url, headers=None, **params):
    """GET and close the file stream (Flask's send_file keeps the file open until then)."""
    resp = client.get(url, query_string=params, headers=headers or {})
    resp.get_data()
    resp.close()
    return resp


@pytest.fixture
def stored(client, auth, registration):
    """A submission with a 2000x1500 photo taken sideways (EXIF orientation 6)."""
    iid = new_id()
    photo = jpeg(2000, 1500, orientation=6)
    resp = client.post(f"/api/v1/forms/{FORM_ID}/submissions", headers=auth.headers("worker"),
                       data=multipart(submission_part(iid, registration_data()), {"photo.jpg": photo}),
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    return f"/api/v1/submissions/{iid}/attachments/photo.jpg", photo


def test_original_is_served_byte_for_byte(client, auth, stored):
    url, photo = stored
    resp = fetch(client, url, auth.headers("supervisor"))
    assert resp.status_code == 200 and resp.data == photo
    assert resp.mimetype == "image/jpeg" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["ETag"]
    again = fetch(client, url, {**auth.headers("supervisor"), "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("size, box", [("display", 1280), ("thumb", 256)])
def test_derivatives_are_upright_and_stripped(client, auth, stored, size, box):
    url, _ = stored
    resp = fetch(client, url, auth.headers("supervisor"), size=size)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(resp.data))
    assert image.size == (box * 3 // 4, box)  # portrait after the EXIF rotation
    assert dict(image.getexif()) == {}


def test_unknown_size_and_name(client, auth, stored):
    url, _ = stored
    assert fetch(client, url, auth.headers("supervisor"), size="huge").status_code == 400
    missing = fetch(client, url.replace("photo.jpg", "other.jpg"), auth.headers("supervisor"))
    assert missing.status_code == 404 and missing.get_json()["error"] == "attachment.not_found"


def test_out_of_scope_users_get_404(client, auth, stored, db):
    url, _ = stored
    other = db.scalar(select(AdminUnit).where(AdminUnit.level == "grid", AdminUnit.code != "410184105005004")
                      .order_by(AdminUnit.code))
    create_user(db, username="neighbour", password=DEMO_PASSWORD, role="grid_worker", unit_codes=[other.code])
    db.commit()
    assert fetch(client, url, auth.headers("neighbour")).status_code == 404
    assert fetch(client, url, auth.headers("worker")).status_code == 200
    assert fetch(client, url, auth.headers("admin")).status_code == 200
    assert fetch(client, url).status_code == 401
