"""A login that stops working (revoked or expired) never costs queued work: the outbox keeps
the record, the shell asks to log in again, and after logging in the record is sent once."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import FORM_ID, Person, form_link, register, wait_for_form_cached
from tests.browser.live_server import LiveServer

# Log the client's own token out on the server, as an administrator revoking it would.
REVOKE = """() => fetch('/api/v1/auth/token', { method: 'DELETE', headers: {
  Authorization: 'Bearer ' + JSON.parse(localStorage.getItem('gridreg.auth')).token } }).then((r) => r.status)"""


def test_revoked_login_keeps_the_record_queued_until_the_worker_logs_in_again(
        worker_page: Page, live_server: LiveServer) -> None:
    page = worker_page
    wait_for_form_cached(page)  # the form opens from the phone's copy once the login fails
    page.wait_for_load_state("networkidle")
    # Retried: on SQLite a write overlapping another request's write answers 500 "database is
    # locked" (a server bug, see live_server.LiveServer.token); this test is about the client.
    statuses = [page.evaluate(REVOKE)]
    while statuses[-1] == 500 and len(statuses) < 3:
        statuses.append(page.evaluate(REVOKE))
    assert statuses[-1] in (200, 204), f"logout answered {statuses}"
    person = Person(name="穆萨", birth="1983-12-24", sequence="079")
    instance_id = register(page, person)

    banner = page.locator(".banner[role=alert]")
    expect(banner).to_contain_text("登录已过期")
    expect(page.locator(".item.state-queued")).to_have_count(1)
    audit(page, "outbox with the log-in-again banner")
    assert all(s["instance_id"] != f"uuid:{instance_id}" for s in live_server.submissions(FORM_ID))

    banner.get_by_role("link", name="登录").click()
    expect(page.get_by_label("用户名")).to_have_value("worker")
    page.get_by_label("密码").fill("gridreg-demo")
    page.get_by_role("button", name="登录").click()
    expect(form_link(page)).to_be_visible()  # logged in: back on the form list
    expect(banner).to_have_count(0)
    page.get_by_role("navigation").get_by_role("link", name=re.compile("^发送箱")).click()
    expect(page.locator(".item.state-sent")).to_have_count(1)

    seen = Counter(s["instance_id"] for s in live_server.submissions(FORM_ID))
    assert seen[f"uuid:{instance_id}"] == 1, seen
    detail = live_server.submission(f"uuid:{instance_id}")
    assert detail["status"] in ("validated", "merged") and not detail["errors"], detail
