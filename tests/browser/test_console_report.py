"""The monthly report page and the leader's overview at 1366x768, end to end against the real service.

An administrator opens the report of the last ended period, has it counted (立即统计) when it has
not been run yet, and sees the figures table, the charts drawn by ECharts (loaded by this page
only), the map of the townships shaded by a chosen figure, and downloads the workbook. A
supervisor reads their own township's report. The overview shows the city and its townships and
opens one township. Screens pass the accessibility audit and are saved as screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.console import console_login, registration, review, submit
from tests.support.live_server import LiveServer

Shot = Callable[[Page, str], Path]


def _previous(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def test_the_report_page_draws_its_charts_and_map_and_downloads_the_workbook(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    for name, birth, seq, phone in (("马建国", "1979-02-11", "053", "13600136053"),
                                    ("马丽娟", "1988-07-21", "064", "13600136064")):
        review(live_server, submit(live_server, registration(name, birth, seq, phone=phone)), "approved")
    status, overview = live_server.request("GET", "/api/v1/reports/overview", user="admin")
    assert status == 200, overview
    period = overview["period"]["name"]  # the running period: the people just registered count in it
    scripts: list[str] = []
    page = console_page
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    console_login(page, "admin")
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    assert not any("echarts" in url for url in scripts), "ECharts is loaded before the report page"
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="月度报表").click()
    expect(page.get_by_label("统计期（结束月份）")).to_have_value(_previous(period))  # the last period that ended
    page.get_by_label("统计期（结束月份）").fill(period)
    page.get_by_label("统计单位").select_option("")
    page.get_by_role("button", name="查看", exact=True).click()
    # not counted yet (or counted before these people came): the administrator counts it from the page
    page.get_by_role("button", name="立即统计").click()
    expect(page.get_by_role("heading", name=re.compile(period))).to_be_visible()
    expect(page.locator(".report-head")).to_contain_text("临时版")

    figures = page.locator("table.figures")
    expect(figures.locator("thead th")).to_have_count(14)
    status, report = live_server.request("GET", f"/api/v1/reports/monthly/{period}", user="admin")
    assert status == 200 and report["figures"]["persons_present"] >= 2, report
    expect(figures.locator("tbody tr")).to_have_count(1 + len(report["children"]))
    expect(figures.locator("tbody tr.total td").first).to_have_text(str(report["figures"]["persons_present"]))

    # the charts: ECharts draws each as SVG, and was fetched for this page
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(4)
    unit_chart = charts.filter(has_text="各下级单位对比").locator(".chart-box svg")
    expect(unit_chart).to_have_count(1)
    expect(unit_chart.locator("path").first).to_be_attached()
    expect(charts.filter(has_text="在住人员民族构成").locator(".chart-box svg path").first).to_be_attached()
    assert any(url.endswith("/console/vendor/echarts/echarts.esm.min.js") for url in scripts)

    # the map: one shaded shape per township with a boundary; shading follows the chosen figure
    shapes = page.locator(".shaded .leaflet-overlay-pane path")
    expect(shapes).to_have_count(len(report["children"]))
    fills = shapes.evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert len(set(fills)) >= 2, fills  # the township with the people is darker than the empty ones
    audit(page, "monthly report")
    page.evaluate("window.scrollTo(0, 0)")
    console_screenshot(page, "30-report")
    page.get_by_label("地图着色指标").select_option("services")  # no services recorded: every township as light
    page.wait_for_function("""() => new Set(Array.from(document.querySelectorAll('.shaded .leaflet-overlay-pane path'),
      (e) => e.getAttribute('fill'))).size === 1""")
    expect(page.locator(".legend.shades li")).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("button", name="下载 Excel 报表").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"月度报表-{period}.xlsx"
    assert path is not None and Path(path).read_bytes()[:2] == b"PK"


def test_a_supervisor_reads_their_townships_report_and_the_overview(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    status, overview = live_server.request("GET", "/api/v1/reports/overview", user="supervisor")
    assert status == 200 and overview["unit"]["level"] == "township", overview
    period = overview["period"]["name"]  # the running period: counted now, as a provisional revision
    status, run = live_server.request("POST", f"/api/v1/reports/monthly/{period}/run", user="admin")
    assert status == 201 and run["provisional"] is True, run
    page = console_page
    console_login(page)
    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("link", name="月度报表").click()
    expect(page.get_by_label("统计期（结束月份）")).to_have_value(_previous(period))
    page.get_by_label("统计期（结束月份）").fill(period)
    page.get_by_role("button", name="查看", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(overview["unit"]["name"]))).to_be_visible()
    expect(page.locator(".report-head")).to_contain_text("临时版")
    expect(page.get_by_role("button", name="立即统计")).to_have_count(0)  # only administrators count
    communities = len(overview["children"])
    expect(page.locator("table.figures tbody tr")).to_have_count(1 + communities)
    expect(page.locator(".shaded .leaflet-overlay-pane path")).to_have_count(communities)
    expect(page.locator("figure.chart").first.locator("svg")).to_have_count(1)

    menu.get_by_role("link", name="领导总览").click()
    expect(page.get_by_role("heading", name=f"领导总览：{overview['unit']['name']}")).to_be_visible()
    rows = page.locator("table.overview-table tbody tr")
    expect(rows).to_have_count(communities + 1)
    expect(page.locator(".tile.persons_present strong")).to_have_text(str(overview["figures"]["persons_present"]))
    audit(page, "overview (supervisor)")
    console_screenshot(page, "31-overview-township")

    # the city's overview, and one township opened from it
    page.get_by_role("button", name="退出登录").click()
    console_login(page, "admin")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="领导总览").click()
    status, city = live_server.request("GET", "/api/v1/reports/overview", user="admin")
    expect(page.get_by_role("heading", name=f"领导总览：{city['unit']['name']}")).to_be_visible()
    expect(page.locator("table.overview-table tbody tr")).to_have_count(len(city["children"]) + 1)
    audit(page, "overview (city)")
    console_screenshot(page, "32-overview-city")
    page.get_by_role("link", name=f"查看{overview['unit']['name']}的下级单位").click()
    expect(page.get_by_role("heading", name=f"领导总览：{overview['unit']['name']}")).to_be_visible()
    page.get_by_role("link", name="返回上级单位").click()
    expect(page.get_by_role("heading", name=f"领导总览：{city['unit']['name']}")).to_be_visible()
