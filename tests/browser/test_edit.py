"""A sent registration reopened from the outbox (修改后重新提交), corrected and sent again as an
edit: a new instance that names the sent one in deprecated_id, with the photo sent again, and
the server lists both versions."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.client import FORM_ID, Person, jpeg, outbox_states, page_through_and_finish, progress, q, register
from tests.support.live_server import LiveServer

PERSON = Person(name="马文斌", birth="1990-04-21", sequence="035", phone="13800138001")
NEW_PHONE = "13900139002"


def test_sent_registration_is_corrected_and_resent_as_an_edit(
        worker_page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    page = worker_page
    photo = tmp_path / "person.jpg"
    photo.write_bytes(jpeg())
    first = register(page, PERSON, photo=photo)
    sent = page.locator(".item.state-sent")
    expect(sent).to_have_count(1, timeout=30_000)

    # Reopen it: a new draft with a new instance id, the answers and the photo of the sent one.
    button = sent.get_by_role("button", name="修改后重新提交")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    button.click()
    page.wait_for_url(re.compile(rf"#/form/{FORM_ID}/[0-9a-f-]+$"))
    edit = page.url.rsplit("/", 1)[1]
    assert edit != first
    expect(progress(page)).to_have_text(re.compile(r"第 1 / \d+ 页"))
    expect(q(page, "identity/full_name")).to_have_value(PERSON.name)
    expect(page.locator("img.preview")).to_be_visible()
    q(page, "identity/phone").fill(NEW_PHONE)
    page_through_and_finish(page)

    # Both in the outbox, both sent; the replaced one can no longer be reopened.
    expect(page.locator(".item.state-sent")).to_have_count(2, timeout=30_000)
    assert outbox_states(page) == {first: "sent", edit: "sent"}
    expect(page.get_by_role("button", name="修改后重新提交")).to_have_count(1)

    # On the server: the edit replaces the first, both versions are listed, the photo arrived again.
    detail = live_server.submission(f"uuid:{edit}")
    assert detail["deprecated_id"] == f"uuid:{first}", detail["deprecated_id"]
    assert detail["root_id"] == f"uuid:{first}", detail["root_id"]
    assert detail["data"]["identity"]["phone"] == NEW_PHONE
    assert detail["data"]["identity"]["full_name"] == PERSON.name
    versions = {v["instance_id"]: v["deprecated_id"] for v in detail["versions"]}
    assert versions == {f"uuid:{first}": None, f"uuid:{edit}": f"uuid:{first}"}, detail["versions"]
    photo_name = detail["data"]["identity"]["photo"]
    [attachment] = [a for a in detail["attachments"] if a["name"] == photo_name]
    assert attachment["received"], attachment
    assert live_server.submission(f"uuid:{first}")["data"]["identity"]["phone"] == PERSON.phone
