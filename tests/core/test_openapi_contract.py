"""The OpenAPI document describes exactly what the server sends.

Each test below drives one part of the API through real requests, as the
demo users, and every answer is validated against the document the app
serves (tests/core/contract.py): its status must be listed for the operation,
and its JSON body must fit the schema, where a reply is a closed object whose
every field is required (server/schemas.py). Each test names the operations it
covers (``AREAS``) and must answer each of them with a 2xx at least once; a
last test checks that the areas and the exceptions together are the whole
document, so a new endpoint fails here until its contract is driven.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from server import worker
from server.api import CLOCK_KEY
from server.app import create_app
from server.forms import service as forms
from server.webhooks import jobs as webhook_jobs
from tests.core.contract import Contract, OffContract, operations
from tests.imports.support import csv_bytes, person
from tests.registry.conftest import FAR_POINT, ID_A, REGISTRATION, VISIT, WORKER_POINT, geopoint, registration
from tests.submissions.support import (
    FORM_ID,
    _compiled,
    multipart,
    new_id,
    publish_registration,
    registration_data,
    submission_part,
)
from tests.submissions.support import REGISTRATION as REGISTRATION_XLSX
from tests.webhooks.conftest import hooks, receiver  # noqa: F401  (fixtures)

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # the cases' and reports' clock: 10:00 on 2026-12-06 in the city
V1 = "/api/v1"
PERSONS = f"{V1}/registry/persons"
WORKER_GRID = "410184105005004"

# Documented operations that answer something other than JSON: a contract of bytes, not of fields.
# (OpenRosa's XML under /openrosa is not part of this document at all: ODK Collect's protocol is its contract.)
NOT_JSON = {
    "GET /api/v1/me/collect-settings.png": "the QR code image",
    "GET /api/v1/submissions/{instance_id}/attachments/{name}": "an attached file",
    "GET /api/v1/reports/monthly/{period}.xlsx": "the report as a workbook",
    "GET /api/v1/exports/{export_id}/download": "an export's file",
}

AREAS: dict[str, set[str]] = {
    "accounts": {
        "POST /api/v1/auth/token", "DELETE /api/v1/auth/token", "GET /api/v1/me", "GET /api/v1/me/collect-settings",
        "GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/users/{username}", "PATCH /api/v1/users/{username}",
        "POST /api/v1/users/{username}/password", "GET /api/v1/users/{username}/tokens",
        "POST /api/v1/users/{username}/tokens", "DELETE /api/v1/users/{username}/tokens/{token_id}",
        "GET /api/v1/departments", "GET /api/v1/audit",
    },
    "geo": {
        "GET /api/v1/geo/units", "GET /api/v1/geo/units/{code}", "GET /api/v1/geo/units/{code}/neighbours",
        "GET /api/v1/geo/locate",
    },
    "forms": {
        "GET /api/v1/forms", "POST /api/v1/forms", "GET /api/v1/forms/{form_id}", "GET /api/v1/forms/{form_id}/draft",
        "POST /api/v1/forms/{form_id}/draft/publish", "GET /api/v1/forms/{form_id}/versions/{version}",
        "GET /api/v1/forms/{form_id}/versions",
    },
    "submissions": {
        "POST /api/v1/forms/{form_id}/submissions", "GET /api/v1/forms/{form_id}/submissions",
        "GET /api/v1/submissions", "GET /api/v1/submissions/{instance_id}", "PATCH /api/v1/submissions/{instance_id}",
        "GET /api/v1/submissions/{instance_id}/comments", "POST /api/v1/submissions/{instance_id}/comments",
        "GET /api/v1/me/returned", "GET /api/v1/registry/submissions/{instance_id}",
    },
    "registry": {
        "GET /api/v1/registry/datasets", "GET /api/v1/registry/datasets/{dataset}",
        "POST /api/v1/registry/datasets/{dataset}/properties", "GET /api/v1/registry/{dataset}/entities",
        "GET /api/v1/registry/{dataset}/entities/{uuid}", "POST /api/v1/registry/{dataset}/entities/{uuid}/resolution",
        "GET /api/v1/registry/{dataset}/conflicts", "GET /api/v1/registry/{dataset}/sync",
    },
    "registry queues": {
        "GET /api/v1/registry/{dataset}/duplicates", "GET /api/v1/registry/{dataset}/duplicates/{candidate_id}",
        "POST /api/v1/registry/{dataset}/duplicates/{candidate_id}/merge",
        "POST /api/v1/registry/{dataset}/duplicates/{candidate_id}/unmerge",
        "POST /api/v1/registry/{dataset}/duplicates/{candidate_id}/distinct",
        "GET /api/v1/registry/{dataset}/placements", "POST /api/v1/registry/{dataset}/placements/{review_id}/accept",
        "POST /api/v1/registry/{dataset}/placements/{review_id}/reject",
    },
    "cases": {
        "GET /api/v1/cases", "POST /api/v1/cases", "GET /api/v1/cases/codes", "GET /api/v1/cases/{case_id}",
        "PATCH /api/v1/cases/{case_id}",
    },
    "reports": {
        "GET /api/v1/reports/monthly/{period}", "POST /api/v1/reports/monthly/{period}/run",
        "GET /api/v1/reports/overview",
    },
    "sharing": {
        "POST /api/v1/exports", "GET /api/v1/exports/{export_id}", "GET /api/v1/feed", "POST /api/v1/imports",
        "GET /api/v1/imports/{import_id}",
    },
    "webhooks": {
        "GET /api/v1/webhooks", "POST /api/v1/webhooks", "GET /api/v1/webhooks/{subscription_id}",
        "DELETE /api/v1/webhooks/{subscription_id}", "GET /api/v1/webhooks/{subscription_id}/deliveries",
        "POST /api/v1/webhooks/{subscription_id}/replay",
        "POST /api/v1/webhooks/{subscription_id}/deliveries/{delivery_id}/replay",
    },
}


@pytest.fixture
def app(settings: Any, engine: Any, maker: Any) -> Iterator[Flask]:
    """The application on a fixed clock, loopback webhooks allowed, jobs inline in the test's transaction."""
    allowed = settings.with_(webhooks_allow_private=True)
    application = create_app(allowed, engine=engine)
    application.extensions["gridreg"].sessionmaker = maker
    application.config["TESTING"] = True
    application.config[CLOCK_KEY] = lambda: NOW
    before = worker._context
    worker.configure(allowed, engine, maker)
    yield application
    worker._context = before


@pytest.fixture
def contract(app: Flask, client: Any, auth: Any) -> Contract:
    """Requests checked against the served document."""
    return Contract(app, client, auth)


def test_accounts(contract: Contract, client: Any) -> None:
    c = contract
    token = c.call("POST", f"{V1}/auth/token", json={"username": "worker", "password": "gridreg-demo"})
    c.call("POST", f"{V1}/auth/token", json={"username": "worker", "password": "wrong"}, expect=401)
    c.call("GET", f"{V1}/me", user="worker")
    c.call("DELETE", f"{V1}/auth/token", headers={"Authorization": f"Bearer {token['access_token']}"}, expect=204)
    c.call("GET", f"{V1}/me", headers={"Authorization": f"Bearer {token['access_token']}"}, expect=401)
    c.call("GET", f"{V1}/me/collect-settings", user="worker")
    c.call("GET", f"{V1}/users", user="admin", query_string={"role": "department"})
    c.call("GET", f"{V1}/users", user="worker", expect=403)
    c.call("POST", f"{V1}/users", user="admin", json={"username": "new_worker", "password": "long-enough-1",
                                                      "role": "grid_worker", "units": [WORKER_GRID]}, expect=201)
    c.call("POST", f"{V1}/users", user="admin", json={"username": "x"}, expect=422)
    c.call("GET", f"{V1}/users/new_worker", user="admin")
    c.call("GET", f"{V1}/users/nobody", user="admin", expect=404)
    c.call("PATCH", f"{V1}/users/new_worker", user="admin", json={"display_name": "新网格员"})
    c.call("POST", f"{V1}/users/new_worker/password", user="admin", json={})
    c.call("POST", f"{V1}/users/new_worker/password", user="admin", json={"password": "another-long-1"})
    issued = c.call("POST", f"{V1}/users/police/tokens", user="admin", json={"label": "平台"}, expect=201)
    listed = c.call("GET", f"{V1}/users/police/tokens", user="admin")
    token_id = next(t["id"] for t in listed if t["label"] == "平台")
    assert issued["access_token"]
    c.call("DELETE", f"{V1}/users/police/tokens/{token_id}", user="admin")
    c.call("GET", f"{V1}/departments", user="admin")
    c.call("GET", f"{V1}/audit", user="admin", query_string={"limit": 5})
    assert c.covered == AREAS["accounts"]


def test_geo(contract: Contract) -> None:
    c = contract
    c.call("GET", f"{V1}/geo/units", user="supervisor")
    c.call("GET", f"{V1}/geo/units", user="worker", query_string={"boundaries": "true"})
    c.call("GET", f"{V1}/geo/units/{WORKER_GRID}", user="worker")
    c.call("GET", f"{V1}/geo/units/{WORKER_GRID}/neighbours", user="supervisor")
    c.call("GET", f"{V1}/geo/locate", user="worker", query_string={"lon": WORKER_POINT[0], "lat": WORKER_POINT[1]})
    c.call("GET", f"{V1}/geo/locate", user="worker", query_string={"lon": "east"}, expect=422)
    assert c.covered == AREAS["geo"]


def test_forms(contract: Contract, monkeypatch: pytest.MonkeyPatch) -> None:
    c = contract
    monkeypatch.setattr(forms, "compile_workbook", lambda data, filename, **options: _compiled(data, filename))
    workbook = REGISTRATION_XLSX.read_bytes()
    c.call("POST", f"{V1}/forms", user="designer", data={"file": (io.BytesIO(workbook), "registration.xlsx")},
           content_type="multipart/form-data", expect=201)
    c.call("GET", f"{V1}/forms/{FORM_ID}/draft", user="designer")
    published = c.call("POST", f"{V1}/forms/{FORM_ID}/draft/publish", user="designer")
    c.call("GET", f"{V1}/forms", user="worker")
    c.call("GET", f"{V1}/forms/{FORM_ID}", user="worker")
    c.call("GET", f"{V1}/forms/{FORM_ID}/versions/{published['version']}", user="worker")
    c.call("GET", f"{V1}/forms/{FORM_ID}/versions", user="designer")
    c.call("GET", f"{V1}/forms/no_such_form", user="worker", expect=404)
    assert c.covered == AREAS["forms"]


def test_submissions(contract: Contract, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    c = contract
    publish_registration(db, monkeypatch)
    url = f"{V1}/forms/{FORM_ID}/submissions"
    iid = new_id()
    part = submission_part(iid, registration_data(photo="photo.jpg"))
    c.call("POST", url, user="worker", data=multipart(part), content_type="multipart/form-data", expect=201)
    c.call("POST", url, user="worker", data=multipart(part), content_type="multipart/form-data", expect=200)
    c.call("POST", url, user="worker", data={"submission": "{"}, content_type="multipart/form-data", expect=400)
    instance = f"uuid:{iid}"
    other = new_id()
    c.call("POST", url, user="worker", data=multipart(submission_part(other, registration_data(photo=None))),
           content_type="multipart/form-data", expect=201)
    c.call("GET", url, user="supervisor")
    c.call("GET", f"{V1}/submissions", user="supervisor", query_string={"review_state": "received"})
    c.call("GET", f"{V1}/submissions/{instance}", user="supervisor")
    assert c.last is not None
    etag = c.last.headers["ETag"]
    c.call("PATCH", f"{V1}/submissions/{instance}", user="supervisor", json={"review_state": "approved"}, expect=428)
    c.call("PATCH", f"{V1}/submissions/{instance}", user="supervisor", json={"review_state": "returned",
           "comment": "请补充照片"}, headers={"If-Match": etag})
    c.call("PATCH", f"{V1}/submissions/{instance}", user="supervisor", json={"review_state": "approved"},
           headers={"If-Match": etag}, expect=412)
    c.call("POST", f"{V1}/submissions/{instance}/comments", user="supervisor", json={"body": "已电话联系"}, expect=201)
    c.call("GET", f"{V1}/submissions/{instance}/comments", user="worker")
    c.call("GET", f"{V1}/me/returned", user="worker")
    c.call("GET", f"{V1}/registry/submissions/uuid:{other}", user="supervisor")
    assert c.covered == AREAS["submissions"]


def test_registry(contract: Contract, merge: Any) -> None:
    c = contract
    c.call("GET", f"{V1}/registry/datasets", user="designer")
    c.call("GET", f"{V1}/registry/datasets/persons", user="police")
    c.call("POST", f"{V1}/registry/datasets/persons/properties", user="designer",
           json={"name": "hobby", "type": "text", "label_zh": "爱好"}, expect=201)
    person = merge(REGISTRATION, registration())
    c.call("GET", f"{PERSONS}/sync", user="worker")  # a snapshot SQL renders, as grid workers get it
    first = c.call("GET", f"{PERSONS}/sync", user="supervisor")  # a snapshot Python shapes
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"}, base_version=1)
    merge(VISIT, {"person": person.entity_uuid, "visit_date": "2026-11-21", "visit_type": "phone"}, base_version=1)
    c.call("GET", f"{PERSONS}/sync", user="supervisor", query_string={"cursor": first["next_cursor"]})
    c.call("GET", f"{PERSONS}/entities", user="worker", query_string={"q": "马"})
    c.call("GET", f"{PERSONS}/entities/{person.entity_uuid}", user="police")
    conflicts = c.call("GET", f"{PERSONS}/conflicts", user="supervisor")
    assert conflicts["items"], "a conflict to resolve"
    c.call("POST", f"{PERSONS}/entities/{person.entity_uuid}/resolution", user="supervisor",
           json={"properties": {"last_visit_date": "2026-11-20", "last_visit_type": "home"}},
           headers={"If-Match": conflicts["items"][0]["etag"]})
    c.call("GET", f"{PERSONS}/entities/{person.entity_uuid}", user="supervisor")
    c.call("GET", f"{PERSONS}/entities/{person.entity_uuid}", user="designer", expect=403)
    assert c.covered == AREAS["registry"]


def test_registry_queues(contract: Contract, merge: Any) -> None:
    c = contract
    first = merge(REGISTRATION, registration("马小红", ID_A))
    merge(REGISTRATION, registration("马晓红", None, phone="13900001111", address="另一处"))
    queue = c.call("GET", f"{PERSONS}/duplicates", user="supervisor")["items"]
    url = f"{PERSONS}/duplicates/{queue[0]['id']}"
    c.call("GET", url, user="supervisor")
    c.call("POST", f"{url}/merge", user="supervisor", json={}, headers={"If-Match": '"x"'}, expect=412)
    merged = c.call("POST", f"{url}/merge", user="supervisor", json={"survivor": first.entity_uuid},
                    headers={"If-Match": queue[0]["etag"]})
    c.call("POST", f"{url}/unmerge", user="supervisor", headers={"If-Match": merged["etag"]})
    c.call("GET", f"{PERSONS}/sync", user="worker", query_string={"cursor": "not-a-cursor"}, expect=400)
    again = c.call("GET", f"{PERSONS}/duplicates", user="supervisor", query_string={"status": "unmerged"})["items"]
    c.call("POST", f"{PERSONS}/duplicates/{again[0]['id']}/distinct", user="supervisor", expect=409,
           headers={"If-Match": again[0]["etag"]})
    third = merge(REGISTRATION, registration("马小洪", None, phone="13900002222", address="第三处"))
    fresh = c.call("GET", f"{PERSONS}/duplicates", user="supervisor")["items"]
    pair = next(i for i in fresh if third.entity_uuid in (i["a"]["uuid"], i["b"]["uuid"]))
    c.call("POST", f"{PERSONS}/duplicates/{pair['id']}/distinct", user="supervisor",
           headers={"If-Match": pair["etag"]})
    for action in ("accept", "reject"):
        moved = merge(REGISTRATION, registration(f"王{action}", None, phone="13700000000", birth="1990-01-01",
                                                 origin="411081"))
        merge(VISIT, {"person": moved.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home",
                      "location": geopoint(FAR_POINT)}, point=FAR_POINT)
        held = c.call("GET", f"{PERSONS}/placements", user="supervisor")["items"]
        review = next(r for r in held if r["entity"]["uuid"] == moved.entity_uuid)
        c.call("POST", f"{PERSONS}/placements/{review['id']}/{action}", user="supervisor",
               headers={"If-Match": review["etag"]})
    assert c.covered == AREAS["registry queues"]


def test_cases(contract: Contract, merge: Any) -> None:
    c = contract
    person = merge(REGISTRATION, registration())
    c.call("GET", f"{V1}/cases/codes", user="supervisor")
    case = c.call("POST", f"{V1}/cases", user="supervisor", expect=201,
                  json={"person": person.entity_uuid, "kind": "appeal", "department": "hrss", "title": "拖欠工资"})
    c.call("POST", f"{V1}/cases", user="supervisor", expect=422,
           json={"person": person.entity_uuid, "kind": "appeal", "department": "nowhere", "title": "拖欠工资"})
    c.call("GET", f"{V1}/cases", user="hrss")
    c.call("GET", f"{V1}/cases/{case['uuid']}", user="hrss")
    c.call("PATCH", f"{V1}/cases/{case['uuid']}", user="hrss", json={"status": "in_progress"}, expect=428)
    c.call("PATCH", f"{V1}/cases/{case['uuid']}", user="hrss", json={"status": "in_progress", "note": "已联系"},
           headers={"If-Match": case["etag"]})
    c.call("GET", f"{V1}/cases/{case['uuid']}", user="hrss")
    assert c.covered == AREAS["cases"]


def test_reports(contract: Contract, merge: Any) -> None:
    c = contract
    merge(REGISTRATION, registration())
    c.call("GET", f"{V1}/reports/monthly/2026-11", user="admin", expect=404)
    c.call("POST", f"{V1}/reports/monthly/2026-11/run", user="admin", expect=201)
    c.call("POST", f"{V1}/reports/monthly/2026-11/run", user="admin", expect=201)  # a revision with changes
    c.call("POST", f"{V1}/reports/monthly/2026-12/run", user="admin", expect=201)  # the running period
    c.call("GET", f"{V1}/reports/monthly/2026-11", user="supervisor")
    c.call("GET", f"{V1}/reports/monthly/2026-11", user="admin", query_string={"revision": 1})
    c.call("GET", f"{V1}/reports/monthly/2026-13", user="admin", expect=422)
    c.call("GET", f"{V1}/reports/overview", user="supervisor")
    assert c.covered == AREAS["reports"]


def test_sharing(contract: Contract, merge: Any) -> None:
    c = contract
    merge(REGISTRATION, registration())
    accepted = c.call("POST", f"{V1}/exports", user="police", json={"source": "dataset", "name": "persons",
                                                                    "format": "csv"}, expect=202)
    c.call("GET", f"{V1}/exports/{accepted['id']}", user="police")
    c.call("POST", f"{V1}/exports", user="police", json={"source": "dataset", "name": "persons", "format": "pdf"},
           expect=422)
    page = c.call("GET", f"{V1}/feed", user="police")
    c.call("GET", f"{V1}/feed", user="police", query_string={"cursor": page["next_cursor"]})
    rows = csv_bytes([person(1, WORKER_GRID), person(2, WORKER_GRID, birth_date="yesterday")])
    started = c.call("POST", f"{V1}/imports", user="admin", content_type="multipart/form-data", expect=202,
                     data={"dataset": "persons", "source": "police-platform", "file": (io.BytesIO(rows), "p.csv")})
    c.call("GET", f"{V1}/imports/{started['id']}", user="admin")
    assert c.covered == AREAS["sharing"]


def test_webhooks(contract: Contract, settings: Any, receiver: Any, hooks: Any, merge: Any) -> None:  # noqa: F811
    c = contract
    clock, waits = hooks
    created = c.call("POST", f"{V1}/webhooks", user="police", json={"url": receiver.url}, expect=201)
    c.call("POST", f"{V1}/webhooks", user="police", json={"url": "ftp://example.org"}, expect=422)
    hook = f"{V1}/webhooks/{created['id']}"
    merge(REGISTRATION, registration())
    receiver.answer = lambda _event: 500
    for _ in range(settings.webhook_max_attempts):  # every attempt fails: a dead letter
        webhook_jobs.deliver(created["id"])
        clock.advance(waits[-1] if waits else 0)
    receiver.answer = lambda _event: 200
    c.call("GET", f"{V1}/webhooks", user="police")
    c.call("GET", hook, user="police")
    dead = c.call("GET", f"{hook}/deliveries", user="police", query_string={"status": "dead"})["items"]
    c.call("POST", f"{hook}/deliveries/{dead[0]['id']}/replay", user="police")
    c.call("GET", f"{hook}/deliveries", user="police")
    c.call("POST", f"{hook}/replay", user="police")
    c.call("DELETE", hook, user="police", expect=204)
    c.call("GET", f"{V1}/webhooks/0", user="police", expect=404)
    assert c.covered == AREAS["webhooks"]


def test_areas_and_exceptions_are_the_whole_document(contract: Contract) -> None:
    documented = operations(contract.document)
    named = [op for area in AREAS.values() for op in area]
    assert len(named) == len(set(named)), "an operation belongs to one area"
    assert not set(named) & NOT_JSON.keys()
    missing = documented - set(named) - NOT_JSON.keys()
    assert not missing, f"drive these operations in a contract test above: {sorted(missing)}"
    stale = (set(named) | NOT_JSON.keys()) - documented
    assert not stale, f"no such operations any more: {sorted(stale)}"


def test_the_exceptions_really_answer_something_else(contract: Contract) -> None:
    for operation in NOT_JSON:
        verb, path = operation.split(" ", 1)
        answers = contract.document["paths"][path][verb.lower()]["responses"]
        assert "application/json" not in (answers["200"].get("content") or {}), operation


def test_a_field_too_many_or_too_few_is_off_contract(contract: Contract) -> None:
    me = contract.call("GET", f"{V1}/me", user="worker")
    schema = {"$ref": "#/components/schemas/Me"}
    contract.validate(schema, me)
    with pytest.raises(OffContract, match="Additional properties"):
        contract.validate(schema, {**me, "password_hash": "x"})
    with pytest.raises(OffContract, match="'role' is a required property"):
        contract.validate(schema, {k: v for k, v in me.items() if k != "role"})
    with pytest.raises(OffContract, match="None is not of type 'integer'"):
        contract.validate(schema, {**me, "id": None})
    assert json.dumps(me)
