"""The merge job behind intake: a submitted registration becomes a registry person, once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from server import pipeline, worker
from server.registry.jobs import merge_submission, merge_validated
from server.submissions.jobs import validate_submission
from server.submissions.models import Submission
from tests.submissions.support import jpeg, multipart, new_id, publish_registration, registration_data, submission_part


@pytest.fixture(autouse=True)
def jobs_on_the_test_connection(app: Any, settings: Any, engine: Any, maker: Any, monkeypatch: Any) -> Any:
    """Inline jobs see (and roll back with) the test; validation rings the merge job."""
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


def _submit(client: Any, auth: Any, data: dict[str, Any]) -> str:
    iid = new_id()
    resp = client.post(
        "/api/v1/forms/person_registration/submissions",
        data=multipart(submission_part(iid, data), {"photo.jpg": jpeg()}),
        headers=auth.headers("worker"),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return iid


def test_validated_registration_is_merged_into_the_registry(client, auth, db, monkeypatch):
    publish_registration(db, monkeypatch)
    iid = _submit(client, auth, registration_data())
    submission = db.scalar(select(Submission).where(Submission.instance_id == f"uuid:{iid}"))
    db.refresh(submission)
    assert submission.status == "merged", submission.errors
    found = client.get(
        "/api/v1/registry/persons/entities",
        query_string={"id_number": "650102199003072318"},
        headers=auth.headers("worker"),
    ).get_json()["items"]
    assert len(found) == 1 and found[0]["label"] == "阿依古丽" and found[0]["grid_code"] == "410184105005004"
    assert found[0]["properties"]["origin_county"] == "650102"
    person = client.get(f"/api/v1/registry/persons/entities/{found[0]['uuid']}", headers=auth.headers("worker"))
    assert person.get_json()["submissions"][0]["instance_id"] == f"uuid:{iid}"
    assert merge_submission(submission.id) == "skipped"  # already merged: a second ring changes nothing
    assert merge_validated() == 0


def test_resubmitted_registration_with_same_id_updates_the_person(client, auth, db, monkeypatch):
    publish_registration(db, monkeypatch)
    _submit(client, auth, registration_data())
    data = registration_data()
    data["identity"]["phone"] = "13900001111"
    _submit(client, auth, data)
    found = client.get(
        "/api/v1/registry/persons/entities", query_string={"q": "ayiguli"}, headers=auth.headers("worker")
    ).get_json()["items"]
    assert len(found) == 1 and found[0]["version"] == 2 and found[0]["properties"]["phone"] == "139****1111"


@pytest.fixture
def persons_after_review(monkeypatch):
    """The persons dataset declared ``merge_after_review: true``."""
    import dataclasses

    from server.registry import declarations

    in_force = declarations.catalog

    def catalog(session):
        return {name: (dataclasses.replace(spec, merge_after_review=True) if name == "persons" else spec)
                for name, spec in in_force(session).items()}

    monkeypatch.setattr(declarations, "catalog", catalog)


def _persons(client: Any, auth: Any) -> list[Any]:
    return client.get("/api/v1/registry/persons/entities", query_string={"id_number": "650102199003072318"},
                      headers=auth.headers("supervisor")).get_json()["items"]


def test_merge_after_review_waits_for_the_approval(client, auth, db, monkeypatch, settings, persons_after_review):
    from server.registry.jobs import find_stuck

    publish_registration(db, monkeypatch)
    iid = f"uuid:{_submit(client, auth, registration_data())}"
    submission = db.scalar(select(Submission).where(Submission.instance_id == iid))
    db.refresh(submission)
    assert submission.status == "validated"
    assert merge_submission(submission.id) == "awaiting_review"
    assert merge_validated() == 0 and find_stuck(db, settings, -60) == 0  # the drain and the re-ring pass it by
    assert _persons(client, auth) == []
    listed = client.get("/api/v1/registry/datasets", headers=auth.headers("supervisor")).get_json()
    assert {d["name"]: d["merge_after_review"] for d in listed}["persons"] is True
    url = f"/api/v1/submissions/{iid}"
    returned = client.patch(url, json={"review_state": "returned", "comment": "请核对"},
                            headers={**auth.headers("supervisor"), "If-Match": f'"{iid}.0"'})
    assert returned.status_code == 200 and _persons(client, auth) == []
    approved = client.patch(url, json={"review_state": "approved"},
                            headers={**auth.headers("supervisor"), "If-Match": returned.headers["ETag"]})
    assert approved.status_code == 200, approved.get_json()
    db.refresh(submission)
    assert submission.status == "merged", submission.errors
    assert [p["label"] for p in _persons(client, auth)] == ["阿依古丽"]


def test_without_merge_after_review_an_approval_rings_nothing_new(client, auth, db, monkeypatch):
    publish_registration(db, monkeypatch)
    iid = f"uuid:{_submit(client, auth, registration_data())}"
    assert len(_persons(client, auth)) == 1  # merged straight after validation
    approved = client.patch(f"/api/v1/submissions/{iid}", json={"review_state": "approved"},
                            headers={**auth.headers("supervisor"), "If-Match": f'"{iid}.0"'})
    assert approved.status_code == 200 and approved.get_json()["status"] == "merged"
    assert len(_persons(client, auth)) == 1


def test_a_merge_batch_keeps_one_unexpected_failure_on_its_row(client, auth, db, monkeypatch):
    """A batch merge that fails unexpectedly is merged again one at a time: the failing one waits for its retry."""
    from server.registry import jobs as registry_jobs

    publish_registration(db, monkeypatch)
    monkeypatch.setitem(pipeline.FOLLOWS, validate_submission, ())  # stop at validated: the batch merges below
    iids = [_submit(client, auth, registration_data()), _submit(client, auth, registration_data())]
    subs = [db.scalar(select(Submission).where(Submission.instance_id == f"uuid:{i}")) for i in iids]
    assert [s.status for s in subs] == ["validated", "validated"]
    merge = registry_jobs.merge_batch
    broken = f"uuid:{iids[0]}"

    def explodes_with_the_first(session, essentials, sealer):
        if any(e.instance_id == broken for e in essentials):
            raise RuntimeError("merge exploded")
        return merge(session, essentials, sealer)

    monkeypatch.setattr(registry_jobs, "merge_batch", explodes_with_the_first)
    assert merge_validated() == 2
    for sub in subs:
        db.refresh(sub)
    assert (subs[0].status, subs[0].attempts) == ("validated", 1) and subs[0].retry_at is not None
    assert subs[1].status == "merged"
    assert merge_validated() == 0  # held back until its retry time
    monkeypatch.setattr(registry_jobs, "merge_batch", merge)
    db.execute(update(Submission).where(Submission.id == subs[0].id).values(retry_at=subs[0].received_at))
    db.commit()
    assert merge_validated() == 1
    db.refresh(subs[0])
    assert subs[0].status == "merged"
