"""A login that stops working (revoked or expired) never costs queued work: the outbox keeps
the record, the shell asks to log in again, and after logging in the record is sent once."""

from __future__ import annotations

import re
import time
from collections import Counter

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import FORM_ID, Person, form_link, login, register, wait_for_form_cached
from tests.support.live_server import LiveServer

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


SKEWED_CLOCK_PEOPLE = [Person(name="马秀兰", birth="1986-05-03", sequence="024"),
                       Person(name="李德明", birth="1972-08-21", sequence="035"),
                       Person(name="冶春花", birth="1999-12-09", sequence="048"),
                       Person(name="沙文军", birth="1969-03-27", sequence="057")]
WEEK_S = 7 * 86400


def test_a_phone_clock_a_week_ahead_still_sends_the_queue(page: Page, live_server: LiveServer) -> None:
    """The server judges the token, not the phone's clock: a week ahead changes nothing."""
    context = page.context
    page.clock.install()  # the page's Date and timers, to move the phone's clock; time runs on from now
    login(page, "worker")
    wait_for_form_cached(page)
    page.wait_for_load_state("networkidle")
    context.set_offline(True)
    expect(page.locator(".net.off")).to_have_text("离线")
    queued = [register(page, person) for person in SKEWED_CLOCK_PEOPLE[:3]]
    expect(page.locator(".item.state-queued")).to_have_count(3)

    # The phone's clock jumps a week ahead, then the phone comes back online: the queue goes out.
    page.clock.set_system_time(time.time() + WEEK_S)
    assert page.evaluate("Date.now()") / 1000 - time.time() > WEEK_S - 3600
    context.set_offline(False)
    expect(page.locator(".item.state-sent")).to_have_count(3, timeout=30_000)
    expect(page.locator(".banner[role=alert]")).to_have_count(0)

    # Logging in again on the skewed phone works too, and what it then sends arrives.
    page.goto("/m/#/login")
    page.get_by_label("密码").fill("gridreg-demo")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    expect(form_link(page)).to_be_visible()
    after_login = register(page, SKEWED_CLOCK_PEOPLE[3])
    expect(page.locator(".item.state-sent")).to_have_count(4, timeout=30_000)
    expect(page.locator(".banner[role=alert]")).to_have_count(0)
    seen = Counter(s["instance_id"] for s in live_server.submissions(FORM_ID))
    ours = [*queued, after_login]
    assert {i: seen[f"uuid:{i}"] for i in ours} == {i: 1 for i in ours}, seen
