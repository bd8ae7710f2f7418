"""The intake endpoint and the supervisor's list and detail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.accounts.service import create_user
from server.demo import DEMO_PASSWORD
from server.submissions.models import Submission
from server.submissions.schemas import SubmissionReceiptSchema
from tests.submissions.support import (
    FORM_ID,
    jpeg,
    multipart,
    new_id,
    png_bomb,
    registration_data,
    submission_part,
)

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")

URL = f"/api/v1/forms/{FORM_ID}/submissions"


def post(client, auth, part, files=None, user="worker"):
    return client.post(URL, data=multipart(part, files), headers=auth.headers(user),
                       content_type="multipart/form-data")


def detail(client, auth, instance_id, user="supervisor"):
    return client.get(f"/api/v1/submissions/{instance_id}", headers=auth.headers(user))


def test_new_submission_201_then_validated_inline(client, auth, registration):
    iid = new_id()
    resp = post(client, auth, submission_part(iid, registration_data()), {"photo.jpg": jpeg()})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["instance_id"] == f"uuid:{iid}"
    assert body["grid"] == "410184105005004"
    got = detail(client, auth, iid).get_json()
    assert got["status"] == "validated", got["errors"]
    assert got["flags"] == {} and got["errors"] == []
    assert got["location"] == {"lon": 113.74, "lat": 34.4, "altitude": 0.0, "accuracy": 5.0}
    [att] = got["attachments"]
    assert att["name"] == "photo.jpg" and att["content_type"] == "image/jpeg" and att["received"]
    assert att["derivatives"] == "ready" and len(att["sha256"]) == 64 and att["size"] > 0
    assert att["urls"] == {"original": f"/api/v1/submissions/uuid:{iid}/attachments/photo.jpg",
                           "display": f"/api/v1/submissions/uuid:{iid}/attachments/photo.jpg?size=display",
                           "thumb": f"/api/v1/submissions/uuid:{iid}/attachments/photo.jpg?size=thumb"}
    assert got["versions"] == [{"instance_id": f"uuid:{iid}", "deprecated_id": None, "status": "validated",
                                "review_state": "received", "received_at": got["received_at"]}]


def test_string_and_native_values_validate_the_same(client, auth, registration):
    for data in (registration_data(native=True), registration_data()):
        iid = new_id()
        assert post(client, auth, submission_part(iid, data), {"photo.jpg": jpeg()}).status_code == 201
        assert detail(client, auth, iid).get_json()["status"] == "validated"


def test_invalid_data_is_stored_then_marked_invalid_with_issues(client, auth, registration):
    data = registration_data()
    data["identity"]["phone"] = "12345"
    data["identity"]["sex"] = "7"
    iid = new_id()
    assert post(client, auth, submission_part(iid, data), {"photo.jpg": jpeg()}).status_code == 201
    got = detail(client, auth, iid).get_json()
    assert got["status"] == "invalid"
    paths = {(e["path"], e["code"]) for e in got["errors"]}
    assert ("/data/identity/phone", "value.constraint") in paths
    assert all(set(e) == {"path", "code", "message"} for e in got["errors"])


def test_replay_200_and_mismatch_409(client, auth, registration):
    iid = new_id()
    part = submission_part(iid, registration_data())
    first = post(client, auth, part)  # the photo comes later
    assert first.status_code == 201
    receipt = first.get_json()
    assert receipt["missing_attachments"] == ["photo.jpg"] and receipt["attachments_received"] == 0
    assert receipt["url"] == f"/api/v1/submissions/uuid%3A{iid}"
    assert detail(client, auth, iid).get_json()["status"] == "received"  # waits for its photo
    again = post(client, auth, part, {"photo.jpg": jpeg()})
    assert again.status_code == 200
    assert again.get_json()["missing_attachments"] == [] and again.get_json()["attachments_received"] == 1
    assert detail(client, auth, iid).get_json()["attachments"][0]["received"] is True
    assert detail(client, auth, iid).get_json()["status"] == "validated"
    other = registration_data()
    other["identity"]["full_name"] = "别人"
    clash = post(client, auth, submission_part(iid, other))
    assert clash.status_code == 409 and clash.get_json()["error"] == "submission.payload_mismatch"


def test_edit_via_deprecated_id(client, auth, registration):
    first, second = new_id(), new_id()
    assert post(client, auth, submission_part(first, registration_data(photo=None))).status_code == 201
    resp = post(client, auth, submission_part(second, registration_data(photo=None), deprecated_id=first))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["root_id"] == f"uuid:{first}" and body["deprecated_id"] == f"uuid:{first}"
    assert [v["instance_id"] for v in detail(client, auth, second).get_json()["versions"]] == \
        [f"uuid:{first}", f"uuid:{second}"]
    assert [v["instance_id"] for v in detail(client, auth, first).get_json()["versions"]] == \
        [f"uuid:{first}", f"uuid:{second}"]


def test_receipt_is_the_stored_submission(client, auth, registration):
    iid = new_id()
    resp = post(client, auth, submission_part(iid, registration_data(photo=None)))
    body, shown = resp.get_json(), detail(client, auth, iid).get_json()
    assert set(body) == {"instance_id", "root_id", "deprecated_id", "form_id", "form_version", "status",
                         "received_at", "grid", "flags", "attachments_expected", "attachments_received",
                         "missing_attachments", "url"}
    for key in ("instance_id", "root_id", "deprecated_id", "form_id", "form_version", "grid", "flags",
                "attachments_expected", "attachments_received"):
        assert body[key] == shown[key], key
    assert datetime.fromisoformat(body["received_at"]) == datetime.fromisoformat(shown["received_at"])
    assert "data" not in body  # answers are read from the scoped, masked detail, not echoed back
    assert set(body) == set(SubmissionReceiptSchema().fields)  # the documented schema and the body agree


def _raw_part(data_json: str) -> bytes:
    """A submission part whose data is given as JSON text (for what json.dumps would not write)."""
    return f'{{"instance_id": "{new_id()}", "form_version": "2026112801", "data": {data_json}}}'.encode()


def _deep(levels: int) -> str:
    return '{"identity": {"full_name": ' + "[" * levels + "]" * levels + "}}"


def _named(photo: str, *, send: bool = True) -> dict:
    """A registration whose photo answer (and file part) is named ``photo``."""
    part = {"submission": submission_part(new_id(), registration_data(photo=photo))}
    return {**part, photo: (jpeg(), photo)} if send else part


@pytest.mark.parametrize("make, status, code", [
    (lambda: {"other": (json.dumps({}).encode(), "x.json")}, 400, "submission.missing_part"),
    (lambda: {"submission": _raw_part(_deep(100_000))}, 400, "submission.too_deep"),
    (lambda: {"submission": _raw_part(_deep(100))}, 400, "submission.too_deep"),
    (lambda: {"submission": _raw_part('{"identity": {"phone": 1e309}}')}, 422, "submission.number_out_of_range"),
    (lambda: {"submission": _raw_part('{"identity": {"phone": -1e309}}')}, 422, "submission.number_out_of_range"),
    (lambda: {"submission": _raw_part('{"family": {"children_count": 1' + "0" * 400 + '}}')}, 422,
     "submission.number_out_of_range"),
    (lambda: {"submission": _raw_part('{"identity": {"phone": NaN}}')}, 400, "submission.bad_json"),
    (lambda: {"submission": _raw_part('{"identity": {"phone": Infinity}}')}, 400, "submission.bad_json"),
    (lambda: {"submission": _raw_part('{"identity": {"phone": -Infinity}}')}, 400, "submission.bad_json"),
    (lambda: {"submission": _raw_part('{"identity": {"full_name": "a\\u0000b"}}')}, 422,
     "submission.nul_character"),
    (lambda: {"submission": _raw_part('{"identity": {"a\\u0000": "b"}}')}, 422, "submission.nul_character"),
    (lambda: {"submission": submission_part(new_id(), registration_data(photo=None), meta={"device_id": "d\x00"})},
     422, "submission.nul_character"),
    (lambda: _named("p\x00.jpg"), 422, "submission.nul_character"),  # no NUL gets past the JSON reader
    (lambda: _named("p\x00.jpg", send=False), 422, "submission.nul_character"),
    (lambda: {"submission": submission_part(new_id(), registration_data()), "photo.jpg\x00": (jpeg(), "p.jpg")}, 422,
     "submission.bad_attachment_name"),
    (lambda: _named("p\x1b[31m.jpg"), 422, "submission.bad_attachment_name"),
    (lambda: _named("p\u0085.jpg", send=False), 422, "submission.bad_attachment_name"),
    (lambda: _named("p\x7f.jpg", send=False), 422, "submission.bad_attachment_name"),
    (lambda: _named("a\nb.jpg", send=False), 422, "submission.bad_attachment_name"),
    (lambda: {"submission": b"{not json"}, 400, "submission.bad_json"),
    (lambda: {"submission": b"[1, 2]"}, 400, "submission.bad_json"),
    (lambda: {"submission": b"\xff\xfe"}, 400, "submission.bad_json"),
    (lambda: {"submission": json.dumps({"instance_id": "x"}).encode()}, 422, "submission.invalid"),
    (lambda: {"submission": submission_part("not-a-uuid", registration_data())}, 400,
     "submission.bad_instance_id"),
    (lambda: {"submission": submission_part(new_id(), registration_data(), version="1999")}, 404,
     "form.version_not_found"),
    (lambda: {"submission": submission_part(new_id(), registration_data()), "photo.jpg": b"GIF89a nope"}, 422,
     "media.bad_image"),
    (lambda: {"submission": submission_part(new_id(), registration_data()), "evil.sh": b"#!/bin/sh"}, 422,
     "submission.attachment_not_declared"),
    (lambda: {"submission": submission_part(new_id(), registration_data()), "photo.jpg": png_bomb()}, 413,
     "media.too_large"),
])
def test_hostile_input_gets_a_clear_4xx(client, auth, registration, db, make, status, code):
    import io

    body = {}
    for name, value in make().items():
        content, filename = value if isinstance(value, tuple) else (value, name)
        body[name] = (io.BytesIO(content), filename)
    resp = client.post(URL, data=body, headers=auth.headers("worker"), content_type="multipart/form-data")
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"] == code
    assert db.scalar(select(Submission.id)) is None


@pytest.mark.parametrize("body, status, code", [
    (_raw_part(_deep(100_000)), 400, "submission.too_deep"),
    (b"[" * 100_000 + b"]" * 100_000, 400, "submission.too_deep"),
    (_raw_part('{"identity": {"phone": 1e309}}'), 422, "submission.number_out_of_range"),
    (_raw_part('{"identity": {"phone": NaN}}'), 400, "submission.bad_json"),
])
def test_hostile_bare_json_body_gets_a_clear_4xx(client, auth, registration, db, body, status, code):
    resp = client.post(URL, data=body, headers=auth.headers("worker"), content_type="application/json")
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"] == code
    assert db.scalar(select(Submission.id)) is None


def _with_meta(iid: str, **meta: str) -> bytes:
    data = registration_data(photo=None)
    data["meta"] = meta
    return submission_part(iid, data)


@pytest.mark.parametrize("meta, code", [
    (lambda iid: {"instanceID": f"uuid:{new_id()}"}, "submission.instance_id_mismatch"),
    (lambda iid: {"instanceID": "not-a-uuid"}, "submission.instance_id_mismatch"),
    (lambda iid: {"instanceID": f"uuid:{iid}", "deprecatedID": f"uuid:{new_id()}"},
     "submission.deprecated_id_mismatch"),
])
def test_data_meta_ids_that_name_another_submission_are_refused(client, auth, registration, db, meta, code):
    iid = new_id()
    resp = post(client, auth, _with_meta(iid, **meta(iid)))
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"] == code
    assert db.scalar(select(Submission.id)) is None


@pytest.mark.parametrize("spelling", [lambda iid: f"uuid:{iid}", lambda iid: iid.upper(),
                                      lambda iid: f"uuid:{iid.upper()}"])
def test_data_meta_instance_id_naming_the_same_submission_is_accepted(client, auth, registration, spelling):
    iid = new_id()
    resp = post(client, auth, _with_meta(iid, instanceID=spelling(iid)))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["instance_id"] == f"uuid:{iid}"


def test_hostile_file_past_the_upload_limit_is_413_with_its_own_code(settings, engine, maker, db):
    """A file question's upload past the limit (a body limit set higher, as a proxy might): not a bare 413."""
    import io

    import openpyxl

    from server.app import create_app
    from server.forms import service as forms_service
    from tests.conftest import Auth

    book = openpyxl.Workbook()
    book.active.title = "survey"
    for row in [("type", "name", "label"), ("text", "place", "地点"), ("file", "document", "文件")]:
        book.active.append(row)
    book.create_sheet("settings").append(("form_id", "version"))
    book["settings"].append(("documents", "1"))
    out = io.BytesIO()
    book.save(out)
    forms_service.upload(db, None, out.getvalue(), "documents.xlsx")
    forms_service.publish(db, None, "documents")
    db.commit()
    app = create_app(settings.with_(max_upload_bytes=100_000), engine=engine)
    app.extensions["gridreg"].sessionmaker = maker
    app.config["MAX_CONTENT_LENGTH"] = 1_000_000
    client = app.test_client()
    part = json.dumps({"instance_id": new_id(), "form_version": "1",
                       "data": {"place": "x", "document": "doc.pdf"}}).encode()
    for language, message in (("zh-CN", "附件文件超过上传大小上限"),
                              ("en", "doc.pdf is larger than the upload limit of 100000 bytes")):
        resp = client.post("/api/v1/forms/documents/submissions", data=multipart(part, {"doc.pdf": b"x" * 150_000}),
                           headers={**Auth(client).headers("worker"), "Accept-Language": language},
                           content_type="multipart/form-data")
        assert resp.status_code == 413, resp.get_json()
        assert resp.get_json()["error"] == "media.file_too_large" and resp.get_json()["message"] == message
    assert db.scalar(select(Submission.id)) is None


def test_unknown_form_404(client, auth, registration):
    resp = client.post("/api/v1/forms/nope/submissions", data=multipart(submission_part(new_id(), {})),
                       headers=auth.headers("worker"), content_type="multipart/form-data")
    assert resp.status_code == 404 and resp.get_json()["error"] == "form.not_found"


def test_too_large_request_is_413_json(app, client, auth, registration):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    resp = post(client, auth, submission_part(new_id(), registration_data()), {"photo.jpg": jpeg(1600, 1200)})
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request.too_large"


def test_anonymous_and_department_users_may_not_submit(client, auth, registration):
    part = submission_part(new_id(), registration_data(photo=None))
    assert client.post(URL, data=multipart(part), content_type="multipart/form-data").status_code == 401
    resp = post(client, auth, part, user="police")
    assert resp.status_code == 403 and resp.get_json()["error"] == "submission.forbidden"


def test_bare_json_body_is_accepted_without_files(client, auth, registration):
    iid = new_id()
    resp = client.post(URL, data=submission_part(iid, registration_data(photo=None)),
                       headers=auth.headers("worker"), content_type="application/json")
    assert resp.status_code == 201


def _seed(client, auth):
    """Four submissions: in grid, in a neighbouring grid (flagged), low accuracy, invalid."""
    ids = {}
    for key, location in (("home", "34.4 113.74 0 5"), ("away", "34.4 113.76 0 5"), ("fuzzy", "34.4 113.74 0 90")):
        ids[key] = new_id()
        resp = post(client, auth, submission_part(ids[key], registration_data(photo=None, location=location)))
        assert resp.status_code == 201
    bad = registration_data(photo=None)
    bad["identity"]["phone"] = "1"
    ids["bad"] = new_id()
    assert post(client, auth, submission_part(ids["bad"], bad)).status_code == 201
    return ids


def _list(client, auth, user="supervisor", **params):
    return auth.read(URL, user, **params)


def test_list_filters(client, auth, registration):
    ids = _seed(client, auth)
    every = _list(client, auth)
    assert [i["instance_id"] for i in every["items"]] == [f"uuid:{ids[k]}" for k in ("bad", "fuzzy", "away", "home")]
    assert every["next_cursor"] is None
    assert [i["instance_id"] for i in _list(client, auth, status="invalid")["items"]] == [f"uuid:{ids['bad']}"]
    assert [i["instance_id"] for i in _list(client, auth, flag="outside_scope")["items"]] == [f"uuid:{ids['away']}"]
    assert [i["instance_id"] for i in _list(client, auth, flag="low_accuracy")["items"]] == [f"uuid:{ids['fuzzy']}"]
    assert len(_list(client, auth, grid="410184105005004")["items"]) == 4  # "away" is filed under the worker's grid
    assert len(_list(client, auth, grid="410184105")["items"]) == 4
    assert len(_list(client, auth, grid="999")["items"]) == 0
    assert len(_list(client, auth, submitter="worker")["items"]) == 4
    assert len(_list(client, auth, submitter="supervisor")["items"]) == 0
    assert [i["instance_id"] for i in _list(client, auth, instance_id=ids["home"])["items"]] == [f"uuid:{ids['home']}"]
    now = datetime.now(UTC)
    assert len(_list(client, auth, received_from=(now - timedelta(hours=1)).isoformat())["items"]) == 4
    assert len(_list(client, auth, received_to=(now - timedelta(hours=1)).isoformat())["items"]) == 0
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert len(_list(client, auth, received_from=today.isoformat(), received_to=today.isoformat())["items"]) == 4
    assert len(_list(client, auth, received_to=(today - timedelta(days=1)).isoformat())["items"]) == 0
    assert client.get(URL, query_string={"received_from": "yesterday"}, headers=auth.headers("supervisor")
                      ).status_code == 422
    bad = client.get(URL, query_string={"status": "nope"}, headers=auth.headers("supervisor"))
    assert bad.status_code == 422


def test_list_pages_by_keyset_cursor(client, auth, registration):
    ids = _seed(client, auth)
    seen, cursor = [], None
    while True:
        page = _list(client, auth, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [i["instance_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"uuid:{ids[k]}" for k in ("bad", "fuzzy", "away", "home")]
    resp = client.get(URL, query_string={"cursor": "!!!"}, headers=auth.headers("supervisor"))
    assert resp.status_code == 400 and resp.get_json()["error"] == "request.bad_cursor"


def test_list_shows_latest_versions_unless_asked(client, auth, registration):
    first, second = new_id(), new_id()
    post(client, auth, submission_part(first, registration_data(photo=None)))
    post(client, auth, submission_part(second, registration_data(photo=None), deprecated_id=first))
    assert [i["instance_id"] for i in _list(client, auth)["items"]] == [f"uuid:{second}"]
    assert len(_list(client, auth, all_versions="true")["items"]) == 2


def test_out_of_scope_is_404_like_missing(client, auth, registration, outsider):
    ids = _seed(client, auth)
    assert _list(client, auth, user=outsider)["items"] == []
    hidden = detail(client, auth, ids["home"], user=outsider)
    missing = detail(client, auth, new_id(), user=outsider)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json()["error"] == missing.get_json()["error"] == "submission.not_found"
    assert detail(client, auth, "garbage", user="supervisor").status_code == 404
    assert detail(client, auth, ids["home"], user="admin").status_code == 200
    assert detail(client, auth, ids["home"], user="police").status_code == 404


def test_the_worker_sees_an_own_submission_placed_in_another_grid(client, auth, registration):
    ids = _seed(client, auth)
    assert detail(client, auth, ids["away"], user="worker").status_code == 200


def test_unknown_form_list_is_404(client, auth, registration):
    resp = client.get("/api/v1/forms/nope/submissions", headers=auth.headers("supervisor"))
    assert resp.status_code == 404


def test_reading_a_submission_is_audited(client, auth, registration, db):
    from server.audit.models import AuditEvent

    iid = new_id()
    post(client, auth, submission_part(iid, registration_data(photo=None)))
    assert detail(client, auth, iid).status_code == 200
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "submission.read"))
    assert event is not None and event.target_id == f"uuid:{iid}"


def test_a_submission_made_in_another_township_is_reviewed_by_its_submitters_supervisor(client, auth, registration,
                                                                                         db, outsider):
    from server.geo.service import ancestors, grid_at

    far_grid = grid_at(db, 113.60, 34.30)
    far_township = next(u for u in ancestors(db, far_grid) if u.level == "township")
    assert far_township.code != "410184105"
    create_user(db, username="far_supervisor", password=DEMO_PASSWORD, role="supervisor",
                unit_codes=[far_township.code])
    db.commit()
    iid = new_id()
    resp = post(client, auth, submission_part(iid, registration_data(photo=None, location="34.3 113.6 0 5")))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["grid"] == "410184105005004"  # filed under the worker's own grid
    shown = detail(client, auth, iid)
    assert shown.status_code == 200, shown.get_json()
    assert shown.get_json()["flags"]["outside_scope"]["grid"] == far_grid.code  # where it was made
    assert [i["instance_id"] for i in _list(client, auth, flag="outside_scope")["items"]] == [f"uuid:{iid}"]
    # the township it was made in sees it too (it holds the registry records it touched), no one else
    assert detail(client, auth, iid, user="far_supervisor").status_code == 200
    assert [i["instance_id"] for i in _list(client, auth, user="far_supervisor")["items"]] == [f"uuid:{iid}"]
    assert detail(client, auth, iid, user=outsider).status_code == 404


def test_intake_leaves_the_cached_caller_and_version_out_of_every_session(client, auth, registration, db):
    """Concurrent requests share the cache's copies: intake reads them and never attaches them to its session."""
    from sqlalchemy import event, inspect
    from sqlalchemy.orm import Session

    from server.accounts.service import token_digest
    from server.cache import caches_for

    def shared_copies() -> list[object]:
        caches = caches_for(db)
        cached = caches.identity.get(db, ("bearer", token_digest(auth.token("worker"))))
        version = caches.form_versions.get(db, (FORM_ID, registration.version))
        assert cached is not None and version is not None
        return [cached[0], *cached[0].scopes, version, version.form]

    assert post(client, auth, submission_part(new_id(), registration_data(photo=None))).status_code == 201
    shared = shared_copies()  # the first request filled the caches
    attached: list[object] = []

    def note(_session: Session, instance: object) -> None:
        attached.append(instance)

    event.listen(Session, "after_attach", note)
    try:
        assert post(client, auth, submission_part(new_id(), registration_data(photo=None))).status_code == 201
    finally:
        event.remove(Session, "after_attach", note)
    assert all(a is b for a, b in zip(shared_copies(), shared, strict=True))  # the second request read them
    assert len(shared) == 4 and all(inspect(obj).detached for obj in shared)
    assert not [obj for obj in attached if any(obj is copy for copy in shared)]
