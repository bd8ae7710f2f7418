"""A submission returned by a supervisor comes back to the phone under 需要修改 with the
reviewer's comment, is corrected there and resubmitted as an edit: the server links the new
version to the returned one (deprecated_id), puts it in the queue as received, shows the
supervisor what changed, and no longer lists the returned one for the worker."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import (
    FORM_ID,
    Person,
    jpeg,
    login,
    outbox_states,
    page_through_and_finish,
    progress,
    q,
    register,
    wait_for_form_cached,
    wait_for_service_worker,
)
from tests.support.chromium import context_options
from tests.support.live_server import LiveServer

PERSON = Person(name="马玉兰", birth="1991-06-12", sequence="046", phone="13800138046")
NEW_PHONE = "13900139046"
COMMENT = "联系电话与本人核实不符，请重新核对后提交"
OTHER_PHONE_PERSON = Person(name="杨海燕", birth="1993-02-08", sequence="064", phone="13800138064")

# Whether the client's cached returned list (kv 'returned:<user>') has the photos of every entry.
RETURNED_READY = """(user) => new Promise((resolve) => {
  const req = indexedDB.open('gridreg')
  req.onerror = () => resolve(false)
  req.onsuccess = () => {
    const db = req.result
    const get = db.transaction('kv', 'readonly').objectStore('kv').get('returned:' + user)
    get.onsuccess = () => {
      db.close()
      const items = (get.result && get.result.items) || []
      resolve(items.length > 0 && items.every((i) => i.files && Object.keys(i.files).length > 0))
    }
    get.onerror = () => { db.close(); resolve(false) }
  }
})"""


def review(server: LiveServer, instance_id: str, state: str, comment: str, user: str = "supervisor") -> dict[str, Any]:
    """A supervisor's decision through the API: GET for the ETag, then PATCH with If-Match."""
    path = f"{server.url}/api/v1/submissions/{instance_id}"
    auth = {"Authorization": f"Bearer {server.token(user)}", "Accept": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(path, headers=auth), timeout=30) as resp:
        etag = resp.headers["ETag"]
    assert etag, "the detail carries an ETag"
    body = json.dumps({"review_state": state, "comment": comment}).encode()
    req = urllib.request.Request(path, data=body, method="PATCH",
                                 headers={**auth, "Content-Type": "application/json", "If-Match": etag})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as err:
        raise AssertionError(f"review refused: {err.code} {err.read()!r}") from err


def returned_nav(page: Page) -> Any:
    """The 发送箱 tab, which says how many returned submissions wait."""
    return page.get_by_role("navigation").get_by_role("link", name=re.compile("^发送箱"))


def test_returned_submission_is_corrected_on_the_phone_and_comes_back_as_an_edit(
        worker_page: Page, live_server: LiveServer, tmp_path: Path, screenshot: Callable[..., Path]) -> None:
    page = worker_page
    live_server.token("supervisor")  # log in before the browser writes (see live_server.token)
    photo = tmp_path / "person.jpg"
    photo.write_bytes(jpeg())
    first = register(page, PERSON, photo=photo)
    expect(page.locator(".item.state-sent")).to_have_count(1, timeout=30_000)
    expect(page.locator(".state-returned")).to_have_count(0)

    # The supervisor returns it with a comment (PATCH with If-Match).
    decided = review(live_server, f"uuid:{first}", "returned", COMMENT)
    assert decided["review_state"] == "returned", decided
    status, mine = live_server.request("GET", "/api/v1/me/returned", user="worker")
    assert status == 200 and [i["instance_id"] for i in mine["items"]] == [f"uuid:{first}"], mine

    # The phone shows it under 需要修改 with the comment, and the tab counts it.
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    returned_nav(page).click()
    section = page.get_by_role("region", name=re.compile("^需要修改"))
    entry = section.locator(".state-returned")
    expect(entry).to_have_count(1, timeout=15_000)
    expect(entry).to_contain_text(COMMENT)
    expect(entry).to_contain_text("退回于")
    expect(entry).to_contain_text(f"登记-{PERSON.name}")
    expect(returned_nav(page)).to_contain_text("需要修改 1 条")
    # The sent copy is marked and offers no second way to edit it.
    sent = page.locator(".item.state-sent")
    expect(sent).to_contain_text("被退回")
    expect(sent.get_by_role("button", name=re.compile("修改后重新提交"))).to_have_count(0)
    audit(page, "outbox with 需要修改")
    screenshot(page, "returned-outbox")
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    expect(page.get_by_role("link", name="有 1 条提交被退回，需要修改")).to_be_visible()
    returned_nav(page).click()

    # Opened: the form prefilled from the sent copy, the reviewer's comment on top.
    button = entry.get_by_role("button", name=f"按意见修改：登记-{PERSON.name}")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    button.click()
    page.wait_for_url(re.compile(rf"#/form/{FORM_ID}/[0-9a-f-]+$"))
    correction = page.url.rsplit("/", 1)[1]
    assert correction != first
    note = page.locator(".review-note")
    expect(note).to_contain_text("审核意见")
    expect(note).to_contain_text(COMMENT)
    expect(progress(page)).to_have_text(re.compile(r"第 1 / \d+ 页"))
    expect(q(page, "identity/full_name")).to_have_value(PERSON.name)
    expect(q(page, "identity/id_number")).to_have_value(PERSON.id_number)
    expect(q(page, "identity/phone")).to_have_value(PERSON.phone)
    expect(page.locator("img.preview")).to_be_visible()
    audit(page, "correction form")
    screenshot(page, "returned-correction")
    q(page, "identity/phone").fill(NEW_PHONE)
    page_through_and_finish(page)

    # Sent like any edit; it leaves 需要修改 and the count goes.
    expect(page.locator(".item.state-sent")).to_have_count(2, timeout=30_000)
    assert outbox_states(page) == {first: "sent", correction: "sent"}
    expect(page.locator(".state-returned")).to_have_count(0, timeout=15_000)
    expect(returned_nav(page)).not_to_contain_text("需要修改")

    # On the server: the new version replaces the returned one, is received, and shows what changed.
    detail = live_server.submission(f"uuid:{correction}", user="supervisor")
    assert detail["deprecated_id"] == f"uuid:{first}", detail["deprecated_id"]
    assert detail["root_id"] == f"uuid:{first}", detail["root_id"]
    assert detail["review_state"] == "received", detail["review_state"]
    answers = [c for c in detail["changes"] if not c["path"].startswith("/data/meta/")]
    assert [c["path"] for c in answers] == ["/data/identity/phone"], detail["changes"]
    full = live_server.submission(f"uuid:{correction}")
    assert full["data"]["identity"]["phone"] == NEW_PHONE
    photo_name = full["data"]["identity"]["photo"]
    [attachment] = [a for a in full["attachments"] if a["name"] == photo_name]
    assert attachment["received"], attachment
    old = live_server.submission(f"uuid:{first}")
    assert old["review_state"] == "returned" and old["data"]["identity"]["phone"] == PERSON.phone
    status, mine = live_server.request("GET", "/api/v1/me/returned", user="worker")
    assert status == 200 and mine["items"] == [], mine


def test_returned_submission_is_corrected_offline_on_a_phone_without_its_sent_copy(
        worker_page: Page, browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    live_server.token("supervisor")
    photo = tmp_path / "person.jpg"
    photo.write_bytes(jpeg())
    first = register(worker_page, OTHER_PHONE_PERSON, photo=photo)
    expect(worker_page.locator(".item.state-sent")).to_have_count(1, timeout=30_000)
    review(live_server, f"uuid:{first}", "returned", COMMENT)

    # Another phone: the worker logs in there; the list and the photo come while online.
    context = browser.new_context(**context_options(live_server.url))
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, "worker")
        wait_for_service_worker(page)
        wait_for_form_cached(page)
        expect(page.get_by_role("link", name="有 1 条提交被退回，需要修改")).to_be_visible()
        returned_nav(page).click()
        entry = page.locator(".state-returned")
        expect(entry).to_have_count(1)
        deadline = time.monotonic() + 20
        while not page.evaluate(RETURNED_READY, "worker"):  # evaluate awaits the promise; wait_for_function does not
            assert time.monotonic() < deadline, "the returned submission's photo was not kept for offline use"
            page.wait_for_timeout(100)

        # Offline: opened from the server's answers; the masked ID number and phone are to be typed again.
        context.set_offline(True)
        entry.get_by_role("button", name=f"按意见修改：登记-{OTHER_PHONE_PERSON.name}").click()
        page.wait_for_url(re.compile(rf"#/form/{FORM_ID}/[0-9a-f-]+$"))
        correction = page.url.rsplit("/", 1)[1]
        expect(page.locator(".review-note")).to_contain_text(COMMENT)
        expect(page.locator(".review-note")).to_contain_text("需要重新填写")
        expect(q(page, "identity/full_name")).to_have_value(OTHER_PHONE_PERSON.name)
        expect(q(page, "identity/id_number")).to_have_value("")
        expect(q(page, "identity/phone")).to_have_value("")
        expect(page.locator("img.preview")).to_be_visible()  # the server's file
        q(page, "identity/id_number").fill(OTHER_PHONE_PERSON.id_number)
        q(page, "identity/phone").fill(NEW_PHONE)
        page_through_and_finish(page)
        expect(page.locator(".item.state-queued")).to_have_count(1)
        expect(entry).to_contain_text("修改已放入发送箱")
        expect(returned_nav(page)).not_to_contain_text("需要修改")

        # Online again: sent, and gone from 需要修改.
        context.set_offline(False)
        expect(page.locator(".item.state-sent")).to_have_count(1, timeout=30_000)
        assert outbox_states(page) == {correction: "sent"}
        expect(page.locator(".state-returned")).to_have_count(0)
        assert not errors, f"uncaught errors in the page: {errors}"
    finally:
        context.close()

    detail = live_server.submission(f"uuid:{correction}")
    assert detail["deprecated_id"] == f"uuid:{first}", detail["deprecated_id"]
    assert detail["review_state"] == "received", detail["review_state"]
    identity = detail["data"]["identity"]
    assert (identity["phone"], identity["id_number"]) == (NEW_PHONE, OTHER_PHONE_PERSON.id_number), identity
    [attachment] = [a for a in detail["attachments"] if a["name"] == identity["photo"]]
    assert attachment["received"], attachment
    status, mine = live_server.request("GET", "/api/v1/me/returned", user="worker")
    assert status == 200 and mine["items"] == [], mine
