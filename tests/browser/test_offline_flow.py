"""The worker's day: register one person online with a photo and a GPS fix, three more
offline, reload the app while offline, come back online, and every record arrives on the
server exactly once and passes the server's validation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.client import (
    FORM_ID,
    Person,
    form_link,
    jpeg,
    outbox_states,
    register,
    wait_for_service_worker,
)
from tests.support.live_server import LiveServer

PEOPLE = [
    Person(name="马建国", birth="1985-06-12", sequence="021"),
    Person(name="海丽娅", birth="1992-03-08", sequence="046", needs=["就业", "子女入学"],
           children=[("马小燕", "女", "2018-09-01", "小学")]),
    Person(name="白志强", birth="1978-11-30", sequence="013", ethnicity="东乡族", needs=["其他"],
           needs_other="需要清真食堂信息"),
    Person(name="古丽娜尔", birth="2001-01-15", sequence="028", ethnicity="维吾尔族", province="65", prefecture="6501",
           county="650102", reason="经商", needs=[]),
]
SETTLED = {"validated", "merged"}


def test_offline_registrations_arrive_once_and_validated(
        worker_page: Page, live_server: LiveServer, tmp_path: Path, screenshot: Callable[..., Path]) -> None:
    page, context = worker_page, worker_page.context
    posts: list[tuple[str, int]] = []  # (url, status) of every answered submission POST
    page.on("response", lambda r: r.request.method == "POST" and "/submissions" in r.url
            and posts.append((r.url, r.status)))
    wait_for_service_worker(page)
    photo = tmp_path / "person.jpg"
    photo.write_bytes(jpeg())

    # 1. Online: photo and GPS; sent right away.
    first = register(page, PEOPLE[0], photo=photo, locate=True)
    expect(page.locator(f".item.state-sent:has-text('{PEOPLE[0].name}')")).to_be_visible()

    # 2. Offline: three more, queued on the phone.
    context.set_offline(True)
    expect(page.locator(".net.off")).to_have_text("离线")
    offline_ids = [register(page, person) for person in PEOPLE[1:]]
    expect(page.locator(".item.state-queued")).to_have_count(3)
    expect(page.get_by_role("button", name="立即发送（3）")).to_be_visible()
    expect(page.get_by_role("link", name="发送箱（3）")).to_be_visible()
    screenshot(page, "04-outbox-queued-offline")

    # 3. Reload while offline: the service worker serves the shell, IndexedDB still holds the queue.
    shell = page.reload()
    assert shell is not None and shell.from_service_worker, "the offline reload was not served by the service worker"
    expect(page.locator(".net.off")).to_have_text("离线")
    expect(page.locator(".item.state-queued")).to_have_count(3)
    states = outbox_states(page)
    assert [states[i] for i in offline_ids] == ["queued"] * 3, states
    assert states[first] == "sent", states
    page.get_by_role("navigation").get_by_role("link", name="表单").click()  # the form list, from caches
    expect(form_link(page)).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name=re.compile("^发送箱")).click()

    # 4. Online again: the 'online' event flushes the outbox, one at a time.
    context.set_offline(False)
    expect(page.locator(".net.on")).to_have_text("在线")
    expect(page.locator(".item.state-sent")).to_have_count(4, timeout=30_000)
    expect(page.get_by_role("link", name="发送箱", exact=True)).to_be_visible()
    assert set(outbox_states(page).values()) == {"sent"}

    # 5. On the server: each once, validated by the server's own rules, with the data we entered.
    ours = [f"uuid:{i}" for i in (first, *offline_ids)]  # the server keeps ODK's 'uuid:' form
    seen = Counter(s["instance_id"] for s in live_server.submissions(FORM_ID))
    assert {i: seen[i] for i in ours} == {i: 1 for i in ours}, f"not exactly once: {seen}"
    assert Counter(status for _, status in posts) == Counter({201: 4}), f"submission POSTs: {posts}"
    for instance_id, person in zip(ours, PEOPLE, strict=True):
        check_on_server(live_server.submission(instance_id), person)
    detail = live_server.submission(ours[0])
    assert detail["location"]["lat"] == 34.4 and detail["location"]["lon"] == 113.74, detail["location"]
    assert detail["location"]["accuracy"] == 8, detail["location"]
    assert detail["data"]["residence"]["location"].startswith("34.4 113.74"), detail["data"]["residence"]
    photo_name = detail["data"]["identity"]["photo"]
    assert re.fullmatch(r"\d+\.jpg", photo_name), photo_name
    [attachment] = [a for a in detail["attachments"] if a["name"] == photo_name]
    assert attachment["received"], attachment
    status, _ = live_server.request("GET", attachment["urls"]["original"], user="admin")
    assert status == 200, f"photo download: {status}"


def check_on_server(detail: dict[str, Any], person: Person) -> None:
    """Settled without problems, and the answers are the ones typed on the phone."""
    assert detail["status"] in SETTLED and not detail["errors"], (detail["status"], detail["errors"])
    assert detail["submitter"] == "worker"
    identity, needs = detail["data"]["identity"], detail["data"]["needs_group"]
    assert (identity["full_name"], identity["id_number"], identity["birth_date"]) == (
        person.name, person.id_number, person.birth)
    assert detail["data"]["origin"]["origin_division"] == person.county
    children = detail["data"]["family"]["children"]
    assert [(c["child_name"], c["child_birth_date"]) for c in children] == [(c[0], c[2]) for c in person.children]
    if person.needs_other:
        assert "other" in needs["needs"].split() and needs["needs_other"] == person.needs_other, needs
    else:
        assert needs["needs_other"] == "", needs  # not relevant: sent empty, as the server expects
