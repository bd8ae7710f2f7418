"""The administrator's screens of the console at 1366x768, end to end against the real service.

An admin creates a grid worker for a grid chosen in the unit tree, and that worker logs in on
the phone client in another browser and sees their forms; an admin sets up a department
account with its purpose and issues its system a token shown once; the unit tree shows a
unit's boundary on the map; a police officer reads a resident's full ID number through the
API and an admin finds that read in the audit log. Each screen passes the shared
accessibility audit and is saved to tests/artifacts/screenshots/console/admin-*.png.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import form_link, login
from tests.browser.console import console_login, registration, review, submit
from tests.support.live_server import LiveServer

Shot = Callable[[Page, str], Path]
GRID = "410184105005003"  # 和庄镇第五社区(演示)第3网格: not the demo worker's grid
GRID_NAME = "和庄镇第五社区(演示)第3网格"


def _top(page: Page) -> None:
    page.evaluate("window.scrollTo(0, 0)")


def _menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name=name).click()


def test_an_admin_creates_a_grid_worker_who_logs_in_on_the_phone(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot, browser: Any) -> None:
    live_server.token("admin")
    page = console_page
    console_login(page, "admin")
    _menu(page, "用户管理")
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    expect(page.locator('tr[data-user="worker"]')).to_contain_text("网格员")
    page.get_by_label("角色").select_option("department")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tbody tr")).to_have_count(4)
    expect(page.locator('tr[data-user="police"]')).to_contain_text("公安局")
    audit(page, "admin: users")
    console_screenshot(page, "admin-01-users")

    page.get_by_role("link", name="新建用户").click()
    expect(page.get_by_role("heading", name="新建用户", exact=True).first).to_be_visible()
    page.get_by_label("用户名", exact=True).fill("ma_worker")
    page.get_by_label("姓名或名称").fill("马网格员")
    page.get_by_label("初始密码").fill("short")
    page.get_by_label("角色").select_option("grid_worker")
    page.get_by_role("button", name="创建用户").click()
    # the server's located problems sit under their fields: too short a password, then no unit
    expect(page.locator("#password-error")).to_be_visible()
    page.get_by_label("初始密码").fill("worker-pass-2026")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("group", name="负责的行政区划").get_by_role("alert")).to_be_visible()
    expect(page.locator("#password-error")).to_have_count(0)
    # the grid is found by name and ticked; then opened in the tree, where it is ticked too
    page.get_by_label("按名称或代码查找区划").fill("和庄镇 第五社区 第3网格")
    found = page.locator(".unit-found")
    expect(found.get_by_role("status")).to_have_text("找到 1 个区划")
    found.get_by_role("checkbox").check()
    expect(page.locator(".chips")).to_contain_text(GRID_NAME)
    found.get_by_role("button", name="在区划树中显示").click()
    expect(page.locator(f'.tree li[data-unit="{GRID}"] input[type=checkbox]')).to_be_checked()
    audit(page, "admin: new user")
    _top(page)
    console_screenshot(page, "admin-02-new-worker")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("heading", name="用户管理：ma_worker")).to_be_visible()
    status, created = live_server.request("GET", "/api/v1/users/ma_worker", user="admin")
    assert status == 200 and created["role"] == "grid_worker", created
    assert [u["code"] for u in created["units"]] == [GRID]

    # The worker, on their own phone, logs in and sees the city's forms.
    phone = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        phone.set_default_timeout(15_000)
        worker_page = phone.new_page()
        login(worker_page, "ma_worker", "worker-pass-2026")
        expect(form_link(worker_page)).to_be_visible()
        # The admin resets the password (a generated one, shown once): the phone's token stops working.
        page.get_by_role("button", name="重置密码").click()
        secret = page.locator("#generated-pw + p code")
        expect(secret).to_be_visible()
        generated = secret.inner_text()
        assert len(generated) >= 12
        status, _ = live_server.request("POST", "/api/v1/auth/token",
                                        body={"username": "ma_worker", "password": "worker-pass-2026"})
        assert status == 401
        status, _ = live_server.request("POST", "/api/v1/auth/token",
                                        body={"username": "ma_worker", "password": generated})
        assert status == 200
    finally:
        phone.close()

    # Disabling asks first, then the account is shown disabled and cannot log in.
    page.get_by_role("button", name="停用账号").click()
    page.get_by_role("alertdialog").get_by_role("button", name="停用账号").click()
    expect(page.get_by_role("heading", name="状态：已停用")).to_be_visible()
    audit(page, "admin: a user's page")
    _top(page)
    console_screenshot(page, "admin-03-user")
    status, _ = live_server.request("POST", "/api/v1/auth/token", body={"username": "ma_worker", "password": generated})
    assert status == 401


def test_an_admin_sets_up_a_department_account_and_its_system_token(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    live_server.token("admin")
    page = console_page
    console_login(page, "admin")
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()
    page.goto("/console/#/users/new")
    expect(page.get_by_role("heading", name="新建用户", exact=True).first).to_be_visible()
    page.get_by_label("用户名", exact=True).fill("health_bureau")
    page.get_by_label("姓名或名称").fill("市卫生健康委员会")
    page.get_by_label("初始密码").fill("health-pass-2026")
    page.get_by_label("角色").select_option("department")
    page.get_by_label("所属部门").select_option("health")
    expect(page.locator(".purpose")).to_contain_text("职责用途")
    page.get_by_label("按名称或代码查找区划").fill("新郑市")
    page.locator(".unit-found").get_by_role("checkbox").first.check()
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("heading", name="用户管理：health_bureau")).to_be_visible()
    page.get_by_label("令牌用途（如“公安人口信息系统”）").fill("卫健随访系统")
    page.get_by_role("button", name="签发令牌").click()
    token = page.locator("#issued-token + p code")
    expect(token).to_be_visible()
    secret = token.inner_text()
    expect(page.locator(".account-actions table")).to_contain_text("卫健随访系统")
    status, me = live_server.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert status == 200 and me["username"] == "health_bureau" and me["department"] == "health"
    listed = page.locator(".account-actions table").inner_text()
    assert secret not in listed
    audit(page, "admin: a department account")
    _top(page)
    console_screenshot(page, "admin-04-department")


def test_the_unit_tree_shows_a_units_boundary_on_the_map(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    live_server.token("admin")
    page = console_page
    console_login(page, "admin")
    _menu(page, "行政区划")
    tree = page.get_by_role("navigation", name="区划树")
    # by keyboard alone: each disclosure button and the unit itself answer Enter
    tree.get_by_role("button", name="展开 新郑市").press("Enter")
    tree.get_by_role("button", name="展开 和庄镇").press("Enter")
    expect(tree.get_by_role("button", name="收起 和庄镇")).to_be_focused()
    tree.get_by_role("button", name="和庄镇 乡镇（街道）").press("Enter")
    expect(page.get_by_role("heading", name="和庄镇", exact=True)).to_be_visible()
    region = page.get_by_role("region", name="和庄镇的边界")
    expect(region.locator("path.leaflet-interactive, path")).to_have_count(10)  # the town and its 9 communities
    expect(page.locator(".legend")).to_contain_text("下级区划（9 个）")
    audit(page, "admin: unit tree")
    console_screenshot(page, "admin-05-units")
    page.get_by_role("link", name="查看该区划的用户").click()
    expect(page.locator('tr[data-user="supervisor"]')).to_be_visible()
    expect(page.locator('tr[data-user="worker"]')).to_have_count(0)  # scoped to a grid, not to the town


def _merged_entity(live_server: LiveServer, instance_id: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        status, result = live_server.request("GET", f"/api/v1/registry/submissions/{quote(instance_id, safe='')}",
                                             user="admin")
        blocks = [b for b in (result or {}).get("blocks", []) if b["dataset"] == "persons" and b["entity_uuid"]]
        if status == 200 and blocks:
            return str(blocks[0]["entity_uuid"])
        assert time.monotonic() < deadline, f"submission {instance_id} not merged: {status} {result}"
        time.sleep(0.3)


def test_an_admin_finds_a_full_read_of_a_resident_id_in_the_audit_log(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    live_server.token("admin")
    live_server.token("police")
    iid = submit(live_server, registration("马建国", "1984-07-21", "031", phone="13900139031"))
    review(live_server, iid, "approved")
    person = _merged_entity(live_server, iid)
    status, record = live_server.request("GET", f"/api/v1/registry/persons/entities/{person}", user="police")
    assert status == 200 and "*" not in record["properties"]["resident_id"], record["properties"]

    page = console_page
    console_login(page, "admin")
    _menu(page, "审计日志")
    expect(page.locator("tbody tr").first).to_be_visible()
    page.get_by_label("操作人（用户名）").fill("police")
    page.get_by_label("对象（编号）").fill(person)
    page.get_by_label("只看完整敏感信息的读取").check()
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("查看完整敏感信息")
    expect(rows.first).to_contain_text("身份证号")
    expect(rows.first.get_by_role("link", name=person)).to_be_visible()
    audit(page, "admin: audit log")
    console_screenshot(page, "admin-06-audit")

    # the same read by action and date (today in the city), and none for a day before the register
    page.get_by_role("button", name="清除条件").click()
    page.get_by_label("操作", exact=True).select_option("registry.reveal")
    page.get_by_label("对象（编号）").fill(person)
    page.get_by_label("对象（编号）").press("Enter")  # the filters submit from the keyboard
    expect(rows).to_have_count(1)
    page.get_by_label("日期至").fill("2020-01-01")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合条件的记录")).to_be_visible()


def test_the_audit_log_pages_with_its_cursor(console_page: Page, live_server: LiveServer) -> None:
    live_server.token("admin")
    page = console_page
    console_login(page, "admin")
    _menu(page, "审计日志")
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    status, first = live_server.request("GET", "/api/v1/audit?limit=50", user="admin")
    assert status == 200
    if not first["next_cursor"]:  # fewer than a page: make more events (logins are audited)
        for i in range(50 - len(first["items"]) + 1):
            live_server.request("POST", "/api/v1/auth/token", body={"username": f"nobody{i}", "password": "wrong"})
        page.reload()
    expect(rows).to_have_count(50)
    top = rows.first.get_attribute("data-event")
    page.get_by_role("button", name="下一页").click()
    expect(rows.first).not_to_have_attribute("data-event", top or "")
    later = int(rows.first.get_attribute("data-event") or 0)
    assert later < int(top or 0)
    page.get_by_role("button", name="回到第一页").click()
    expect(rows.first).to_have_attribute("data-event", top or "")
