"""The leader's overview: today's figures of a unit and its child units, counted independently and scoped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.api import CLOCK_KEY
from tests.reports.conftest import FAR_POINT, Registry

NOW = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)  # 2026-12-07 01:30 in Shanghai: period 2026-12, the 7th
URL = "/api/v1/reports/overview"


@pytest.fixture(autouse=True)
def fixed_clock(app: Any) -> None:
    app.config[CLOCK_KEY] = lambda: NOW


@pytest.fixture
def town(registry: Registry) -> Registry:
    """Two people here (one arrived in the running period), one who left, one in a far township; cases."""
    here = registry.person("本期到达", "2026-11-28")
    registry.person("早先到达", "2026-10-02")
    gone = registry.person("已离开者", "2026-10-05")
    registry.depart(gone, "2026-11-30")
    far = registry.person("他镇人员", "2026-12-01", point=FAR_POINT, username="far_worker")
    registry.case(here, "2026-11-27", due_date="2026-12-06")  # overdue on the 7th
    registry.case(here, "2026-11-27", due_date="2026-12-07", status="in_progress")  # due today: not overdue
    registry.case(here, "2026-11-27", due_date="2026-12-01", status="resolved", resolved_date="2026-12-01")
    registry.case(far, "2026-12-02", due_date="2026-12-05", department="civil", kind="relief")
    return registry


def test_the_city_and_its_townships_as_of_today(client, auth, town):
    resp = client.get(URL, headers=auth.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["as_of"] == "2026-12-07" and body["period"] == {"name": "2026-12", "start": "2026-11-26",
                                                                 "end": "2026-12-25"}
    assert body["unit"]["level"] == "city"
    assert body["figures"] == {"persons_present": 3, "arrivals": 2, "cases_open": 3, "cases_overdue": 2}
    townships = {c["unit"]["code"]: c["figures"] for c in body["children"]}
    assert {c["unit"]["level"] for c in body["children"]} == {"township"}
    assert townships[town.worker_grid[:9]] == {"persons_present": 2, "arrivals": 1, "cases_open": 2,
                                               "cases_overdue": 1}
    assert townships[town.far_grid[:9]] == {"persons_present": 1, "arrivals": 1, "cases_open": 1,
                                            "cases_overdue": 1}
    assert sum(f["persons_present"] for f in townships.values()) == 3


def test_a_supervisor_sees_their_township_and_its_communities_only(client, auth, town):
    body = client.get(URL, headers=auth.headers("supervisor")).get_json()
    assert body["unit"]["code"] == town.worker_grid[:9]
    assert body["figures"]["persons_present"] == 2 and body["figures"]["cases_overdue"] == 1
    assert body["children"] and all(c["unit"]["code"].startswith(town.worker_grid[:9]) for c in body["children"])
    assert sum(c["figures"]["cases_open"] for c in body["children"]) == 2
    for outside in (town.far_grid[:9], "410184"):
        resp = client.get(URL, query_string={"unit": outside}, headers=auth.headers("supervisor"))
        assert resp.status_code == 404 and resp.get_json()["error"] == "report.unit_not_found"


def test_only_leaders_read_it_and_bad_units_are_refused(client, auth, town):
    for user in ("worker", "police", "designer"):
        assert client.get(URL, headers=auth.headers(user)).status_code == 403, user
    assert client.get(URL).status_code == 401
    resp = client.get(URL, query_string={"unit": "x" * 40}, headers=auth.headers("admin"))
    assert resp.status_code == 422
    resp = client.get(URL, query_string={"unit": "999999"}, headers=auth.headers("admin"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "report.unit_not_found"
