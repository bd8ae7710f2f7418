"""Monthly report API: JSON and XLSX scoped to the caller's units, admins' runs, and bad periods."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from server.api import CLOCK_KEY
from tests.reports.conftest import FAR_POINT, Registry

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 2026-11 is due; 2026-12 is running
BASE = "/api/v1/reports/monthly"


@pytest.fixture(autouse=True)
def fixed_clock(app: Any) -> None:
    app.config[CLOCK_KEY] = lambda: NOW


@pytest.fixture
def filled(registry: Registry) -> Registry:
    registry.person("本镇人员", "2026-11-03")
    registry.person("他镇人员", "2026-11-04", point=FAR_POINT, username="far_worker")
    return registry


def _run(client, auth, period: str = "2026-11", unit: str | None = None, user: str = "admin"):
    query = {"unit": unit} if unit else {}
    return client.post(f"{BASE}/{period}/run", query_string=query, headers=auth.headers(user))


def test_admin_run_makes_revisions_and_the_json_carries_the_figures(client, auth, filled):
    resp = _run(client, auth)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["period"] == "2026-11" and (body["start"], body["end"]) == ("2026-10-26", "2026-11-25")
    assert body["unit"] == {"code": "410184", "name": body["unit"]["name"], "level": "city"}
    assert body["revision"] == 1 and body["provisional"] is False and body["generated_at"]
    assert body["figures"]["persons_present"] == 2 and body["figures"]["arrivals"] == 2
    assert body["figures"]["persons_present_by_ethnicity"] == {"03": 2}
    for key in ("departures", "transfers_in", "transfers_out", "visits", "not_visited_90d",
                "school_age_not_in_school", "cases_new", "cases_resolved", "cases_overdue", "services"):
        assert body["figures"][key] == 0, key
    assert {c["unit"]["level"] for c in body["children"]} == {"township"}
    assert sum(c["figures"]["persons_present"] for c in body["children"]) == 2
    filled.person("后来人员", "2026-11-20", received="2026-11-26")
    again = _run(client, auth).get_json()
    assert again["revision"] == 2 and again["changes"]["arrivals"] == [2, 3]
    shown = client.get(f"{BASE}/2026-11", headers=auth.headers("admin")).get_json()
    assert shown["revision"] == 2 and shown["figures"]["persons_present"] == 3
    old = client.get(f"{BASE}/2026-11", query_string={"revision": 1}, headers=auth.headers("admin")).get_json()
    assert old["revision"] == 1 and old["figures"]["persons_present"] == 2


def test_the_running_period_is_provisional(client, auth, filled):
    body = _run(client, auth, "2026-12").get_json()
    assert body["provisional"] is True and body["period"] == "2026-12"


@pytest.mark.parametrize(("period", "code"), [
    ("2027-01", "report.period_not_begun"),
    ("2026-13", "report.period_malformed"),
    ("2026-1", "report.period_malformed"),
    ("11-2026", "report.period_malformed"),
])
def test_bad_periods_answer_422_with_a_stable_code(client, auth, period, code):
    resp = _run(client, auth, period)
    assert resp.status_code == 422 and resp.get_json()["error"] == code
    if code == "report.period_malformed":
        resp = client.get(f"{BASE}/{period}", headers=auth.headers("admin"))
        assert resp.status_code == 422 and resp.get_json()["error"] == code


def test_only_admins_run_and_departments_read_no_reports(client, auth, filled):
    assert _run(client, auth, user="supervisor").status_code == 403
    assert _run(client, auth).status_code == 201
    assert client.get(f"{BASE}/2026-11", headers=auth.headers("police")).status_code == 403
    assert client.get(f"{BASE}/2026-11").status_code == 401


def test_a_period_not_run_yet_is_404(client, auth):
    resp = client.get(f"{BASE}/2026-10", headers=auth.headers("admin"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "report.not_run"


def test_a_supervisor_sees_only_their_townships_units(client, auth, filled):
    _run(client, auth)
    township, far = filled.worker_grid[:9], filled.far_grid[:9]
    mine = client.get(f"{BASE}/2026-11", headers=auth.headers("supervisor"))
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["unit"]["code"] == township and body["figures"]["persons_present"] == 1
    assert all(c["unit"]["code"].startswith(township) for c in body["children"])
    grid = client.get(f"{BASE}/2026-11", query_string={"unit": filled.worker_grid}, headers=auth.headers("supervisor"))
    assert grid.status_code == 200 and grid.get_json()["unit"]["level"] == "grid"
    for outside in (far, filled.far_grid, "410184"):
        for url in (f"{BASE}/2026-11", f"{BASE}/2026-11.xlsx"):
            resp = client.get(url, query_string={"unit": outside}, headers=auth.headers("supervisor"))
            assert resp.status_code == 404 and resp.get_json()["error"] == "report.unit_not_found", (url, outside)
    worker = client.get(f"{BASE}/2026-11", headers=auth.headers("worker")).get_json()
    assert worker["unit"]["code"] == filled.worker_grid and worker["children"] == []


def test_xlsx_has_a_sheet_per_level_with_chinese_headers_for_a4_landscape(client, auth, filled):
    _run(client, auth)
    resp = client.get(f"{BASE}/2026-11.xlsx", headers=auth.headers("supervisor"))
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    book = load_workbook(BytesIO(resp.data))
    assert book.sheetnames == ["乡镇（街道）", "社区（村）", "网格", "在住人数（分民族）"]
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
    header = [c.value for c in book["网格"][2]]
    assert header[:4] == ["单位代码", "单位名称", "在住人数", "男"] and "适龄未入学儿童" in header
    township = [row for row in book["乡镇（街道）"].iter_rows(min_row=3, values_only=True)]
    assert township == [(filled.worker_grid[:9], township[0][1], 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    grids = {row[0]: row[2] for row in book["网格"].iter_rows(min_row=3, values_only=True)}
    assert grids[filled.worker_grid] == 1 and all(code.startswith(filled.worker_grid[:9]) for code in grids)
    ethnic = [c.value for c in book["在住人数（分民族）"][2]]
    assert ethnic == ["单位代码", "单位名称", "回族"]
