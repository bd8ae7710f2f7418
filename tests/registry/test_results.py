"""What the registry did with one submission (server/registry/results.py): per dataset, scoped, purpose-limited."""

from __future__ import annotations

import pytest

from server.errors import NotFoundError
from server.registry import results
from tests.registry.conftest import REGISTRATION, publish_form, registration, submit, visit_check_workbook


def test_merge_results_are_scoped(client, auth, db, merge, jobs, monkeypatch, outsider):
    person = merge(REGISTRATION, registration())
    version = publish_form(db, monkeypatch, visit_check_workbook(), "visit_check.xlsx")
    iid = submit(client, auth, "visit_check", version.version,
                 {"person": person.entity_uuid, "visit_date": "2026-11-20", "still_here": "yes"})
    url = f"/api/v1/registry/submissions/{iid}"
    for user in ("worker", "supervisor", "admin"):
        assert client.get(url, headers=auth.headers(user)).status_code == 200, user
    missing = client.get(url, headers=auth.headers("outsider"))
    assert missing.status_code == 404 and missing.get_json()["error"] == "registry.merge_result_not_found"
    assert client.get(url, headers=auth.headers("designer")).status_code == 403
    assert client.get("/api/v1/registry/submissions/uuid:nope", headers=auth.headers("admin")).status_code == 404



def test_each_block_says_its_dataset_outcome_and_record(db, merge, user_named):
    person = merge(REGISTRATION, registration(), instance_id="uuid:results-1")
    got = results.merge_result(db, user_named("worker"), "uuid:results-1")
    assert got["instance_id"] == "uuid:results-1"
    (block,) = got["blocks"]
    assert (block["dataset"], block["outcome"], block["entity_uuid"], block["reason"]) == (
        "persons", "created", person.entity_uuid, None)
    assert block["detail"] == {} and block["at"]
    with pytest.raises(NotFoundError) as err:
        results.merge_result(db, user_named("worker"), "uuid:never-merged")
    assert err.value.code == "registry.merge_result_not_found"
