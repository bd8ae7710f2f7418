"""Cases in the console at 1366x768, end to end against the real service.

A supervisor opens a case by hand for a registered person and routes it to human resources
(hrss). The hrss account logs into the console, finds it in its own inbox (an overdue case of
its own listed first, a police case not at all), sees the person only as its duty allows
(masked phone, no ID number, no ethnicity), and works the case to resolved: started, assigned,
a note recorded; a change someone made meanwhile is reported and nothing is overwritten.
The police account can neither list nor open it. Every screen passes the accessibility audit.
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
STALE = "数据已被他人修改，请刷新"
TITLE = "工地拖欠工资三个月"


def _person(server: LiveServer, name: str, birth: str, sequence: str, phone: str) -> tuple[str, str]:
    """A registered, approved person: (registry uuid, resident ID number)."""
    data = registration(name, birth, sequence, phone=phone)
    iid = submit(server, data)
    review(server, iid, "approved")
    status, result = server.request("GET", f"/api/v1/registry/submissions/{iid}", user="supervisor")
    assert status == 200 and result["blocks"][0]["entity_uuid"], result
    return str(result["blocks"][0]["entity_uuid"]), str(data["identity"]["id_number"])


def _open(server: LiveServer, person: str, department: str, title: str, **extra: str) -> dict:
    status, case = server.request("POST", "/api/v1/cases", user="supervisor",
                                  body={"person": person, "kind": "appeal", "department": department, "title": title,
                                        **extra})
    assert status == 201, case
    return dict(case)


def test_a_department_works_its_case_to_resolved_and_another_cannot_see_it(
        console_page: Page, browser, live_server: LiveServer, console_screenshot: Shot) -> None:
    person, id_number = _person(live_server, "马德明", "1984-05-16", "031", "13700137031")
    # due long ago: overdue whatever the day the test runs
    late = _open(live_server, person, "hrss", "社保转移未办理", due_date="2020-01-06")
    police = _open(live_server, person, "police", "居住证到期未换领")

    # A supervisor opens the case by hand from the console.
    page = console_page
    console_login(page)
    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("link", name="事项办理").click()
    expect(page.get_by_role("heading", name="事项办理")).to_be_visible()
    page.get_by_role("link", name="新建事项").click()
    page.get_by_label("查找当事人（姓名或拼音）").fill("马德明")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("radio", name=re.compile("马德明")).check()
    page.get_by_label("事项类型", exact=True).select_option("appeal")
    page.get_by_label("承办部门", exact=True).select_option("hrss")
    page.get_by_label("事项标题", exact=True).fill(TITLE)
    page.get_by_label("事项说明", exact=True).fill("在建筑工地务工，工资被拖欠三个月")
    audit(page, "new case")
    console_screenshot(page, "20-case-new")
    page.get_by_role("button", name="登记并转办").click()
    expect(page.get_by_role("heading", name=re.compile(TITLE))).to_be_visible()
    case_url = page.url
    uuid = case_url.rsplit("/", 1)[-1]
    status, created = live_server.request("GET", f"/api/v1/cases/{uuid}", user="supervisor")
    assert status == 200 and created["department"] == "hrss" and created["status"] == "open", created

    # hrss in its own console: its inbox, overdue first; the police case is not there.
    live_server.token("hrss")
    hrss_ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768},
                                   device_scale_factor=1, locale="zh-CN", timezone_id="Asia/Shanghai")
    hrss_ctx.set_default_timeout(15_000)
    try:
        hrss = hrss_ctx.new_page()
        errors: list[str] = []
        hrss.on("pageerror", lambda exc: errors.append(str(exc)))
        console_login(hrss, "hrss")
        expect(hrss.get_by_role("heading", name="本部门事项")).to_be_visible()
        links = hrss.get_by_role("navigation", name="主菜单").get_by_role("link")
        expect(links).to_have_text(["本部门事项", "数据推送", "数据导出"])  # its cases, and what it shares
        rows = hrss.locator("tbody tr")
        expect(rows.filter(has_text=TITLE)).to_have_count(1)
        expect(rows.first).to_contain_text(late["title"])
        expect(rows.first).to_contain_text("已超期")
        expect(hrss.locator("table")).not_to_contain_text(police["title"])
        audit(hrss, "department inbox")
        console_screenshot(hrss, "21-case-inbox")
        hrss.get_by_label("是否超期").select_option("true")
        hrss.get_by_role("button", name="筛选", exact=True).click()
        expect(rows.filter(has_text=TITLE)).to_have_count(0)
        expect(rows.filter(has_text=late["title"])).to_have_count(1)
        hrss.get_by_role("button", name="清除条件").click()

        hrss.get_by_role("link", name=TITLE).click()
        expect(hrss.get_by_role("heading", name=re.compile(TITLE))).to_be_visible()
        side = hrss.locator("aside")
        expect(side).to_contain_text("马德明")
        expect(side).to_contain_text("137****7031")  # the phone as hrss's duty shows it: masked
        expect(side).not_to_contain_text("13700137031")
        expect(side).not_to_contain_text(id_number)
        expect(side).not_to_contain_text("民族")  # ethnicity is outside hrss's purpose
        expect(side.get_by_role("link")).to_have_count(0)  # no way into the registry from here

        hrss.get_by_role("button", name="开始办理").click()
        expect(hrss.locator("h1 .badge")).to_have_text("办理中")
        hrss.get_by_label("承办人", exact=True).fill("张科长")
        hrss.get_by_role("button", name="指派").click()
        expect(hrss.locator(".facts")).to_contain_text("张科长")
        hrss.get_by_label("办理情况记录").fill("已约谈用工单位，承诺本月底前结清")
        hrss.get_by_role("button", name="添加记录").click()
        expect(hrss.locator(".timeline")).to_contain_text("已约谈用工单位")
        audit(hrss, "case page")
        console_screenshot(hrss, "22-case-in-progress")

        # Someone else (another hrss desk) changes the case meanwhile: this tab's change is refused.
        status, fresh = live_server.request("GET", f"/api/v1/cases/{uuid}", user="hrss")
        status, _ = live_server.request("PATCH", f"/api/v1/cases/{uuid}", user="hrss", body={"note": "电话回访当事人"},
                                        headers={"If-Match": fresh["etag"]})
        assert status == 200
        hrss.get_by_role("button", name="办结", exact=True).click()
        expect(hrss.locator(".work .outcome")).to_contain_text(STALE)
        status, still = live_server.request("GET", f"/api/v1/cases/{uuid}", user="hrss")
        assert still["status"] == "in_progress", still
        hrss.locator(".work .outcome").get_by_role("button", name="刷新").click()
        expect(hrss.locator(".timeline")).to_contain_text("电话回访当事人")
        hrss.get_by_role("button", name="办结", exact=True).click()
        expect(hrss.locator("h1 .badge")).to_have_text("已办结")
        expect(hrss.get_by_role("button", name="关闭事项")).to_be_visible()
        console_screenshot(hrss, "23-case-resolved")
        assert not errors, errors
    finally:
        hrss_ctx.close()
    status, done = live_server.request("GET", f"/api/v1/cases/{uuid}", user="hrss")
    assert done["status"] == "resolved" and done["assignee"] == "张科长" and done["resolved_date"], done
    assert [a["action"] for a in done["actions"]] == ["opened", "in_progress", "assigned", "noted", "noted", "resolved"]

    # police: not in its list, and the case's own page answers as if there were no such case.
    live_server.token("police")
    page.get_by_role("button", name="退出登录").click()
    console_login(page, "police")
    expect(page.get_by_role("heading", name="本部门事项")).to_be_visible()
    expect(page.locator("tbody tr").filter(has_text=police["title"])).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(TITLE)
    page.goto(case_url)
    expect(page.get_by_role("alert")).to_contain_text(re.compile("未找到|不存在"))  # as for a case that never was
    expect(page.locator("main")).not_to_contain_text(TITLE)
    status, _ = live_server.request("GET", f"/api/v1/cases/{uuid}", user="police")
    assert status == 404
