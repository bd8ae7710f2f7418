"""Every read endpoint keeps a department to its purpose: a case routed to hrss never reaches police.

The test walks the app's URL map, so a new GET endpoint is exercised without
anyone listing it: each is called as ``police`` with its path filled in from
one case routed to hrss (its uuid, the submission that opened it, its person,
both datasets). No response may carry the case's title or notes, and the
endpoints that name the case itself answer 404 with a ``purpose.denied``
audit row. The same calls as ``hrss`` do show the case, so the check can fail.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select

from server.audit.models import AuditEvent
from tests.registry.conftest import REGISTRATION, registration

TITLE = "欠薪事项XJ7731"
NOTES = "仅人社局可见的诉求内容QP2209"
MARKERS = (b"XJ7731", b"QP2209")  # ASCII: found whether a body escapes Chinese or not
CASE_BLOCK = {
    "dataset": "followups",
    "label": "${title}",
    "save_to": {k: k for k in ("person", "title", "kind", "status", "department", "notes")},
}
# Endpoints that name the hrss case itself: police must get 404 there, and the denial is audited.
NAMING_THE_CASE = {
    "/api/v1/cases/<string:case_id>",
    "/api/v1/registry/<string:dataset>/entities/<string:uuid>",  # with dataset=followups
    "/api/v1/registry/submissions/<string:instance_id>",
}


def _urls(app: Any, values: dict[str, str]) -> list[tuple[str, str]]:
    """(rule, url) for every GET endpoint, each dataset-taking one once per dataset."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or set()):
                continue
            datasets = ("followups", "persons") if "dataset" in rule.arguments else (None,)
            for dataset in datasets:
                args = {name: (dataset if name == "dataset" else values.get(name, "x")) for name in rule.arguments}
                out.append((rule.rule, url_for(rule.endpoint, **args)))
    return out


def _opened(merge: Any) -> tuple[str, str, str]:
    person = merge(REGISTRATION, registration())
    iid = "uuid:6d1f9a52-94b5-4f5e-9a52-7a3c1b0e8d11"
    case = merge(CASE_BLOCK, {"person": person.entity_uuid, "title": TITLE, "kind": "appeal", "status": "open",
                              "department": "hrss", "notes": NOTES}, instance_id=iid)
    return person.entity_uuid, case.entity_uuid, iid


def test_no_endpoint_shows_police_a_case_routed_to_hrss(app, client, auth, db, merge):
    person, case, iid = _opened(merge)
    values = {"uuid": case, "case_id": case, "instance_id": iid, "form_id": "follow_up", "version": "1",
              "filename": "followups.csv", "name": "photo.jpg", "code": "410184", "path": "index.html"}
    checked = 0
    for rule, url in _urls(app, values):
        for query in ({}, {"person": person, "follows": person}):
            with client.get(url, query_string=query, headers=auth.headers("police")) as resp:
                assert not any(m in resp.data for m in MARKERS), f"{url} shows police the hrss case"
            checked += 1
        if rule in NAMING_THE_CASE and (not url.startswith("/api/v1/registry/persons")):
            before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
            resp = client.get(url, headers=auth.headers("police"))
            assert resp.status_code == 404, url
            denied = list(db.scalars(select(AuditEvent).where(AuditEvent.id > before,
                                                              AuditEvent.action == "purpose.denied")))
            assert denied and denied[0].actor_id is not None, f"{url}: the denial is not audited"
    assert checked > 40


def test_the_walk_would_see_a_leak(app, client, auth, merge):
    """The same walk as hrss finds the case where it should: the meta-test can fail."""
    person, case, iid = _opened(merge)
    shown = set()
    for url in (f"/api/v1/cases/{case}", "/api/v1/cases", f"/api/v1/registry/followups/entities/{case}",
                "/api/v1/registry/followups/entities", "/api/v1/registry/followups/sync",
                f"/api/v1/registry/submissions/{iid}"):
        resp = client.get(url, headers=auth.headers("hrss"))
        if any(m in resp.data for m in MARKERS) or case.encode() in resp.data:
            shown.add(url)
    assert len(shown) == 6, shown
