"""The review API: the queue across forms, decisions with If-Match, the comment thread, returns to the phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.accounts.service import create_user
from server.audit.models import AuditEvent
from server.demo import DEMO_PASSWORD
from server.submissions import queries, service
from server.submissions.models import Submission
from tests.submissions.support import (
    FORM_ID,
    jpeg,
    multipart,
    new_id,
    registration_data,
    submission_part,
)

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")

URL = f"/api/v1/forms/{FORM_ID}/submissions"
QUEUE = "/api/v1/submissions"


def post(client, auth, part, files=None, user="worker"):
    resp = client.post(URL, data=multipart(part, files), headers=auth.headers(user),
                       content_type="multipart/form-data")
    assert resp.status_code in (200, 201), resp.get_json()
    return resp


def submit(client, auth, data=None, *, deprecated_id=None, user="worker", photo=True, send_photo=True):
    """A submission (validated inline once its photo is in); its instance id."""
    iid = new_id()
    data = data or registration_data(photo="photo.jpg" if photo else None)
    post(client, auth, submission_part(iid, data, deprecated_id=deprecated_id),
         {"photo.jpg": jpeg()} if photo and send_photo else None, user=user)
    return f"uuid:{iid}"


def detail(client, auth, iid, user="supervisor"):
    return client.get(f"{QUEUE}/{iid}", headers=auth.headers(user))


def decide(client, auth, iid, state, comment=None, *, user="supervisor", etag="fetch"):
    headers = auth.headers(user)
    if etag == "fetch":
        etag = detail(client, auth, iid, user="admin").headers["ETag"]
    if etag is not None:
        headers["If-Match"] = etag
    body = {"review_state": state}
    if comment is not None:
        body["comment"] = comment
    return client.patch(f"{QUEUE}/{iid}", json=body, headers=headers)


def queue(client, auth, user="supervisor", **params):
    return auth.read(QUEUE, user, **params)


# --------------------------------------------------------------------------- the queue


def test_queue_lists_latest_versions_newest_first_with_counts(client, auth, registration):
    first = submit(client, auth)
    second = submit(client, auth)
    edit = submit(client, auth, deprecated_id=first)
    got = queue(client, auth)
    assert [i["instance_id"] for i in got["items"]] == [edit, second]
    assert all(i["review_state"] == "received" for i in got["items"])
    assert got["items"][0]["submitter"] == "worker" and got["items"][0]["submitter_name"].endswith("网格员")
    assert got["items"][0]["form_id"] == FORM_ID and got["items"][0]["form_title"]
    assert got["counts"] == {"received": 2, "has_issues": 0, "approved": 0, "rejected": 0, "returned": 0}
    assert got["next_cursor"] is None
    every = queue(client, auth, all_versions="true")
    assert [i["instance_id"] for i in every["items"]] == [edit, second, first]
    assert every["counts"]["received"] == 3


def test_queue_filters_and_counts_ignore_only_the_review_state(client, auth, registration):
    approved = submit(client, auth)
    returned = submit(client, auth)
    plain = submit(client, auth)
    assert decide(client, auth, approved, "approved").status_code == 200
    assert decide(client, auth, returned, "returned", "请补充照片").status_code == 200
    got = queue(client, auth, review_state="returned")
    assert [i["instance_id"] for i in got["items"]] == [returned]
    assert got["counts"] == {"received": 1, "has_issues": 0, "approved": 1, "rejected": 0, "returned": 1}
    assert [i["instance_id"] for i in queue(client, auth, form=FORM_ID, status="validated",
                                            submitter="worker", grid="410184105")["items"]] == \
        [plain, returned, approved]
    assert queue(client, auth, form="no_such_form")["items"] == []
    assert queue(client, auth, grid="999")["counts"]["received"] == 0
    assert queue(client, auth, submitter="admin")["items"] == []
    assert queue(client, auth, flag="outside_scope")["items"] == []


def test_queue_by_flag_pages_by_keyset_and_counts_only_flagged_latest_versions(client, auth, registration):
    fuzzy = registration_data(photo="photo.jpg", location="34.4 113.74 0 45")  # accuracy worse than 30 m
    flagged = [submit(client, auth, fuzzy) for _ in range(3)]
    plain = submit(client, auth)
    edited = submit(client, auth, fuzzy, deprecated_id=flagged[0])  # the edit carries the flag too
    assert decide(client, auth, flagged[1], "approved").status_code == 200
    first = queue(client, auth, flag="low_accuracy", limit=2)
    assert [i["instance_id"] for i in first["items"]] == [edited, flagged[2]]
    assert all(i["flags"] == {"low_accuracy": {"accuracy_m": 45.0, "threshold_m": 30.0}} for i in first["items"])
    assert first["counts"] == {"received": 2, "has_issues": 0, "approved": 1, "rejected": 0, "returned": 0}
    rest = queue(client, auth, flag="low_accuracy", limit=2, cursor=first["next_cursor"])
    assert [i["instance_id"] for i in rest["items"]] == [flagged[1]] and rest["next_cursor"] is None
    assert rest["counts"] == first["counts"]
    approved = queue(client, auth, flag="low_accuracy", review_state="approved")
    assert [i["instance_id"] for i in approved["items"]] == [flagged[1]]
    assert [i["instance_id"] for i in queue(client, auth, flag="low_accuracy", all_versions="true")["items"]] \
        == [edited, flagged[2], flagged[1], flagged[0]]
    corrected = submit(client, auth, deprecated_id=flagged[2])  # a good fix: the newest version has no flag
    assert [i["instance_id"] for i in queue(client, auth, flag="low_accuracy")["items"]] == [edited, flagged[1]]
    assert [i["instance_id"] for i in queue(client, auth)["items"]] == [corrected, edited, plain, flagged[1]]
    nothing = queue(client, auth, flag="no_location")
    assert nothing["items"] == [] and set(nothing["counts"].values()) == {0}
    assert queue(client, auth, user="admin", flag="low_accuracy", limit=1)["next_cursor"] is not None


def test_queue_flag_must_be_a_known_one(client, auth, registration):
    submit(client, auth, registration_data(photo="photo.jpg", location="34.4 113.74 0 45"))
    for bad in ("low%", "%", "low_accuracy,", "LOW_ACCURACY"):
        resp = client.get(QUEUE, query_string={"flag": bad}, headers=auth.headers("supervisor"))
        assert resp.status_code == 422 and "flag" in str(resp.get_json()["errors"]), (bad, resp.get_json())


def test_queue_counts_stop_at_their_limit(client, auth, registration, monkeypatch):
    for _ in range(3):
        submit(client, auth, photo=False)
    monkeypatch.setattr(queries, "COUNT_LIMIT", 2)
    got = queue(client, auth)
    assert got["counts"]["received"] == 2 and got["counts_limit"] == 2 and len(got["items"]) == 3


def test_queue_dates_are_city_days(client, auth, registration, db):
    iid = submit(client, auth)
    received = db.scalar(select(Submission.received_at).where(Submission.instance_id == iid))
    day = received.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert [i["instance_id"] for i in queue(client, auth, since=day.isoformat(), until=day.isoformat())["items"]] \
        == [iid]
    assert queue(client, auth, since=(day + timedelta(days=1)).isoformat())["items"] == []
    assert queue(client, auth, until=(day - timedelta(days=1)).isoformat())["items"] == []
    assert queue(client, auth, since=(received - timedelta(seconds=1)).isoformat())["items"]
    bad = client.get(QUEUE, query_string={"since": "yesterday"}, headers=auth.headers("supervisor"))
    assert bad.status_code == 422


class _Clock(datetime):
    """Intake's clock, set by the test."""

    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.at


def test_queue_pages_by_keyset_even_when_times_tie(client, auth, registration, monkeypatch):
    monkeypatch.setattr(service, "datetime", _Clock)
    received = []
    # Newest first is by time received, not by id; four arrive in the same microsecond: the id breaks the tie.
    for minute in (3, 1, 2, 2, 2, 2):
        _Clock.at = datetime(2026, 12, 7, 9, minute, tzinfo=UTC)
        received.append((minute, len(received), submit(client, auth, photo=False)))
    expected = [iid for _, _, iid in sorted(received, reverse=True)]
    seen, cursor = [], None
    while True:
        page = queue(client, auth, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [i["instance_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    bad = client.get(QUEUE, query_string={"cursor": "!!"}, headers=auth.headers("supervisor"))
    assert bad.status_code == 400 and bad.get_json()["error"] == "request.bad_cursor"


def test_queue_is_scoped(client, auth, registration, outsider):
    iid = submit(client, auth)
    assert [i["instance_id"] for i in queue(client, auth, user="admin")["items"]] == [iid]
    assert [i["instance_id"] for i in queue(client, auth, user="supervisor")["items"]] == [iid]
    got = queue(client, auth, user=outsider)
    assert got["items"] == [] and sum(got["counts"].values()) == 0
    assert detail(client, auth, iid, user=outsider).status_code == 404


# --------------------------------------------------------------------------- decisions


def test_detail_has_review_state_comment_and_etag(client, auth, registration):
    iid = submit(client, auth)
    resp = detail(client, auth, iid)
    body = resp.get_json()
    assert body["review_state"] == "received" and body["review_comment"] is None and body["changes"] is None
    assert resp.headers["ETag"] == f'"{iid}.0"'
    decided = decide(client, auth, iid, "has_issues", "照片模糊")
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["review_state"] == "has_issues"
    assert decided.get_json()["review_comment"] == "照片模糊"
    assert decided.headers["ETag"] == f'"{iid}.1"' == detail(client, auth, iid).headers["ETag"]


def test_if_match_absent_428_stale_412(client, auth, registration):
    iid = submit(client, auth)
    stale = detail(client, auth, iid).headers["ETag"]
    missing = decide(client, auth, iid, "approved", etag=None)
    assert missing.status_code == 428 and missing.get_json()["error"] == "precondition_required"
    assert decide(client, auth, iid, "approved", etag=stale).status_code == 200
    again = decide(client, auth, iid, "rejected", "重复登记", etag=stale)
    assert again.status_code == 412 and again.get_json()["error"] == "submission.stale"
    assert detail(client, auth, iid).get_json()["review_state"] == "approved"


@pytest.mark.parametrize("state, comment, code", [
    ("rejected", None, "review.comment_required"),
    ("returned", "   ", "review.comment_required"),
    ("received", None, "review.bad_state"),
    ("has_issues", "长" * 2001, "review.comment_too_long"),
])
def test_senseless_decisions_are_422(client, auth, registration, state, comment, code):
    iid = submit(client, auth)
    resp = decide(client, auth, iid, state, comment)
    assert resp.status_code == 422 and resp.get_json()["error"] == code, resp.get_json()
    assert detail(client, auth, iid).get_json()["review_state"] == "received"


def test_unknown_state_is_422(client, auth, registration):
    resp = decide(client, auth, submit(client, auth), "maybe")
    assert resp.status_code == 422 and "review_state" in resp.get_json()["errors"]


def test_approving_before_validation_finished_is_422(client, auth, registration):
    iid = submit(client, auth, send_photo=False)  # waits for its photo: still received
    assert detail(client, auth, iid).get_json()["status"] == "received"
    resp = decide(client, auth, iid, "approved")
    assert resp.status_code == 422 and resp.get_json()["error"] == "review.not_validated"
    assert decide(client, auth, iid, "returned", "请补传照片").status_code == 200


def test_a_comment_of_2000_characters_is_kept(client, auth, registration):
    iid = submit(client, auth)
    assert decide(client, auth, iid, "returned", "长" * 2000).status_code == 200


def test_workers_cannot_review_and_outsiders_get_404(client, auth, registration, outsider):
    iid = submit(client, auth)
    etag = detail(client, auth, iid).headers["ETag"]
    own = decide(client, auth, iid, "approved", user="worker", etag=etag)
    assert own.status_code == 403 and own.get_json()["error"] == "review.forbidden"
    comment = client.post(f"{QUEUE}/{iid}/comments", json={"body": "x"}, headers=auth.headers("worker"))
    assert comment.status_code == 403
    other = decide(client, auth, iid, "approved", user=outsider, etag=etag)
    assert other.status_code == 404 and other.get_json()["error"] == "submission.not_found"
    missing = decide(client, auth, "uuid:00000000-0000-4000-8000-000000000000", "approved", etag=etag)
    assert missing.status_code == 404
    assert detail(client, auth, iid).get_json()["review_state"] == "received"


def test_every_change_is_audited(client, auth, registration, db):
    iid = submit(client, auth)
    decide(client, auth, iid, "returned", "请核对身份证号")
    client.post(f"{QUEUE}/{iid}/comments", json={"body": "已电话联系"}, headers=auth.headers("supervisor"))
    decide(client, auth, iid, "approved")
    events = db.execute(select(AuditEvent.action, AuditEvent.detail).where(
        AuditEvent.target_id == iid, AuditEvent.action.in_(("submission.review", "submission.comment")))
        .order_by(AuditEvent.id)).all()
    assert [(a, d) for a, d in events] == [
        ("submission.review", {"from": "received", "to": "returned", "comment": True}),
        ("submission.comment", {}),
        ("submission.review", {"from": "returned", "to": "approved", "comment": False}),
    ]


# --------------------------------------------------------------------------- comments


def test_comment_thread(client, auth, registration):
    iid = submit(client, auth)
    decide(client, auth, iid, "returned", "请补充现住址门牌号")
    posted = client.post(f"{QUEUE}/{iid}/comments", json={"body": " 明天复核 "}, headers=auth.headers("admin"))
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["body"] == "明天复核" and posted.get_json()["author"] == "admin"
    thread = client.get(f"{QUEUE}/{iid}/comments", headers=auth.headers("worker")).get_json()["items"]
    assert [(c["author"], c["body"], c["review_state"]) for c in thread] == [
        ("supervisor", "请补充现住址门牌号", "returned"), ("admin", "明天复核", None)]
    assert set(thread[0]) >= {"id", "author", "body", "created_at", "review_state"}
    assert detail(client, auth, iid).get_json()["review_comment"] == "明天复核"


@pytest.mark.parametrize("body, code", [("长" * 2001, "review.comment_too_long"), ("  ", "review.comment_required")])
def test_bad_comments_are_422(client, auth, registration, body, code):
    iid = submit(client, auth)
    resp = client.post(f"{QUEUE}/{iid}/comments", json={"body": body}, headers=auth.headers("supervisor"))
    assert resp.status_code == 422 and resp.get_json()["error"] == code
    assert client.get(f"{QUEUE}/{iid}/comments", headers=auth.headers("supervisor")).get_json()["items"] == []


def test_comments_are_scoped(client, auth, registration, outsider):
    iid = submit(client, auth)
    decide(client, auth, iid, "returned", "请补充")
    assert client.get(f"{QUEUE}/{iid}/comments", headers=auth.headers(outsider)).status_code == 404
    resp = client.post(f"{QUEUE}/{iid}/comments", json={"body": "x"}, headers=auth.headers(outsider))
    assert resp.status_code == 404


# --------------------------------------------------------------------------- returns to the phone


def returned(client, auth, user="worker"):
    return auth.read("/api/v1/me/returned", user)["items"]


def test_returned_lists_only_the_callers_own(client, auth, registration, db):
    create_user(db, username="worker2", password=DEMO_PASSWORD, role="grid_worker", unit_codes=["410184105005004"])
    db.commit()
    mine, theirs = submit(client, auth), submit(client, auth, user="worker2")
    for iid in (mine, theirs):
        assert decide(client, auth, iid, "returned", "请核对").status_code == 200
    assert [r["instance_id"] for r in returned(client, auth)] == [mine]
    assert [r["instance_id"] for r in returned(client, auth, user="worker2")] == [theirs]
    assert returned(client, auth, user="supervisor") == []


def test_returned_lifecycle_until_the_corrected_edit_arrives(client, auth, registration):
    data = registration_data()
    old = submit(client, auth, data)
    assert decide(client, auth, old, "returned", "现住址缺少门牌号").status_code == 200
    [item] = returned(client, auth)
    assert item["instance_id"] == old and item["comment"] == "现住址缺少门牌号"
    assert item["form_id"] == FORM_ID and item["form_version"] == "2026112801" and item["received_at"]
    assert item["data"]["identity"]["full_name"] == "阿依古丽"
    assert item["data"]["identity"]["id_number"] == "6501**********2318"  # masked for the worker
    [photo] = item["attachments"]
    assert photo["name"] == "photo.jpg" and photo["urls"]["original"] == f"{QUEUE}/{old}/attachments/photo.jpg"
    download = client.get(photo["urls"]["original"], headers=auth.headers("worker"))
    download.close()
    assert download.status_code == 200
    data["residence"]["current_address"] = "新郑市某小区1号楼2单元301"
    new = submit(client, auth, data, deprecated_id=old)
    assert returned(client, auth) == []
    assert detail(client, auth, old).get_json()["review_state"] == "returned"
    got = detail(client, auth, new).get_json()
    assert got["review_state"] == "received" and got["deprecated_id"] == old
    assert [(v["instance_id"], v["review_state"]) for v in got["versions"]] == [(old, "returned"), (new, "received")]
    assert got["changes"] == [{"path": "/data/residence/current_address", "before": "新郑市某小区1号楼",
                               "after": "新郑市某小区1号楼2单元301"}]
    assert [i["instance_id"] for i in queue(client, auth)["items"]] == [new]
    late = decide(client, auth, old, "approved")
    assert late.status_code == 422 and late.get_json()["error"] == "review.superseded"


def test_edit_diff_is_masked_like_the_data(client, auth, registration):
    data = registration_data()
    old = submit(client, auth, data)
    data["identity"]["phone"] = "13987654321"
    data["family"]["children"][0]["child_name"] = "小红"
    new = submit(client, auth, data, deprecated_id=old)
    changes = {c["path"]: c for c in detail(client, auth, new).get_json()["changes"]}
    assert set(changes) == {"/data/identity/phone", "/data/family/children[1]/child_name"}
    assert changes["/data/family/children[1]/child_name"]["before"] == "小明"
    assert changes["/data/identity/phone"] | {"path": ""} == {"path": "", "before": "138****5678",
                                                               "after": "139****4321"}
