"""Two grid workers share one phone. Worker A's queued records, drafts and entity lists stay A's:
worker B, logging in after A logged out, sees none of them and B's login never sends them; when
A logs in again they go out, recorded on the server as A's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.client import (
    FORM_ID,
    Person,
    form_link,
    login,
    outbox_states,
    q,
    register,
    wait_for_form_cached,
    wait_for_service_worker,
)
from tests.support.live_server import DEMO_PASSWORD, LiveServer

VISIT_FORM = "household_visit"  # picks a registered person from the persons entity list
A, B = "worker", "worker2"
ALREADY_REGISTERED = Person(name="马福海", birth="1979-04-02", sequence="031")
QUEUED = [Person(name="杨秀英", birth="1988-07-19", sequence="042"),
          Person(name="丁志刚", birth="1995-10-05", sequence="057")]
B_OWN = Person(name="舍玉兰", birth="1990-02-14", sequence="066")


@pytest.fixture(scope="module")
def second_worker(live_server: LiveServer) -> Iterator[str]:
    """worker2: a grid worker of a neighbouring grid in the same township as the demo worker."""
    status, me = live_server.request("GET", "/api/v1/me", user=A)
    assert status == 200, me
    [grid] = [u["code"] for u in me["scope"]]
    status, unit = live_server.request("GET", f"/api/v1/geo/units/{grid}", user="admin")
    assert status == 200, unit
    status, parent = live_server.request("GET", f"/api/v1/geo/units/{unit['parent_code']}", user="admin")
    assert status == 200, parent
    other = next(c["code"] for c in parent["children"] if c["code"] != grid)
    live_server.add_user(B, "grid_worker", [other])
    live_server.token(B)  # log in before the browser writes (see live_server.token)
    yield B


def logout(page: Page) -> None:
    """The form list's 退出登录, confirmed; the login screen shows."""
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("用户名")).to_be_visible()


def login_here(page: Page, username: str) -> None:
    """Log in on the login screen showing (no reload)."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(form_link(page)).to_be_visible()


def open_outbox(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name=re.compile("^发送箱")).click()


def open_visit(page: Page) -> Any:
    """Start a household visit; returns the person picker (its entity list synced when online)."""
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    form_link(page, VISIT_FORM).click()
    picker = q(page, "person")
    expect(picker).to_be_attached()
    return picker


def submitters(live_server: LiveServer) -> dict[str, str]:
    """instance_id -> the user the server recorded the submission for."""
    return {s["instance_id"]: live_server.submission(s["instance_id"])["submitter"]
            for s in live_server.submissions(FORM_ID)}


def test_a_shared_phone_keeps_each_workers_records_lists_and_drafts_their_own(
        page: Page, live_server: LiveServer, second_worker: str) -> None:
    context = page.context
    login(page, A)
    wait_for_service_worker(page)

    # A: one registration online (it enters the registry, so A's persons list has it), a visit
    # left as a draft, then two registrations queued offline.
    registered = register(page, ALREADY_REGISTERED, locate=True)
    expect(page.locator(".item.state-sent")).to_have_count(1)
    picker = open_visit(page)
    expect(picker.get_by_text(ALREADY_REGISTERED.name)).to_be_visible()
    picker.get_by_label(ALREADY_REGISTERED.name).check()
    page.get_by_role("button", name="保存草稿").click()
    open_outbox(page)
    expect(page.locator(".item.state-draft")).to_have_count(1)
    context.set_offline(True)
    queued = [register(page, person) for person in QUEUED]
    expect(page.locator(".item.state-queued")).to_have_count(2)

    # A logs out offline; the phone comes back online with nobody logged in: nothing is sent.
    logout(page)
    context.set_offline(False)
    expect(page.locator(".net.on")).to_have_text("在线")
    seen = submitters(live_server)
    assert all(f"uuid:{i}" not in seen for i in queued), seen

    # B logs in: none of A's records, drafts or persons, and A's queue stays queued.
    login_here(page, second_worker)
    open_outbox(page)
    expect(page.get_by_text("没有记录")).to_be_visible()
    expect(page.get_by_role("link", name="发送箱", exact=True)).to_be_visible()  # no count of A's queue
    picker = open_visit(page)
    page.wait_for_load_state("networkidle")
    expect(page.locator(".progress")).to_be_visible()
    expect(picker.get_by_text(ALREADY_REGISTERED.name)).to_have_count(0)
    b_own = register(page, B_OWN)
    expect(page.locator(f".item.state-sent:has-text('{B_OWN.name}')")).to_be_visible()
    expect(page.locator(".item")).to_have_count(1)
    states = outbox_states(page)
    assert [states[i] for i in queued] == ["queued", "queued"], states
    seen = submitters(live_server)
    assert all(f"uuid:{i}" not in seen for i in queued), f"A's records went out while B was logged in: {seen}"
    assert seen[f"uuid:{b_own}"] == B

    # A again: A's queue goes out as A's, A's draft is back, B's record is not shown.
    logout(page)
    page.goto("/m/")  # a reload after logging out still asks who is there
    expect(page.get_by_label("用户名")).to_have_value("")
    login_here(page, A)
    open_outbox(page)
    expect(page.locator(".item.state-sent")).to_have_count(3, timeout=30_000)
    expect(page.locator(".item.state-draft")).to_have_count(1)
    expect(page.locator(f".item:has-text('{B_OWN.name}')")).to_have_count(0)
    seen = submitters(live_server)
    assert {i: seen.get(f"uuid:{i}") for i in (registered, *queued)} == {i: A for i in (registered, *queued)}, seen
    assert seen[f"uuid:{b_own}"] == B


# Makes an outbox item look as the client stored it before items recorded their owner.
FORGET_OWNER = """(id) => new Promise((resolve, reject) => {
  const req = indexedDB.open('gridreg')
  req.onerror = () => reject(req.error)
  req.onsuccess = () => {
    const db = req.result
    const tx = db.transaction('outbox', 'readwrite')
    const store = tx.objectStore('outbox')
    const get = store.get(id)
    get.onsuccess = () => { const item = get.result; delete item.owner; store.put(item) }
    tx.oncomplete = () => { db.close(); resolve(true) }
    tx.onerror = () => { db.close(); reject(tx.error) }
  }
})"""


def test_a_record_queued_before_records_had_owners_goes_out_as_the_user_the_session_recorded(
        page: Page, live_server: LiveServer) -> None:
    context = page.context
    login(page, A)
    wait_for_service_worker(page)
    wait_for_form_cached(page)  # the form list downloads every form: wait for the one used offline
    context.set_offline(True)
    instance_id = register(page, Person(name="马成林", birth="1983-06-17", sequence="073"))
    assert page.evaluate(FORGET_OWNER, instance_id)
    page.reload()  # the updated client starts with the old record in its outbox
    expect(page.locator(".item.state-queued")).to_have_count(1)
    context.set_offline(False)
    expect(page.locator(".item.state-sent")).to_have_count(1, timeout=30_000)
    assert live_server.submission(f"uuid:{instance_id}")["submitter"] == A
