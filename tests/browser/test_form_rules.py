"""Constraints and relevance behave in the browser as the server's validator applies them.

Each test shows the rule in the client (message, blocked navigation, shown/hidden question),
then sends the same data with the rule broken straight to the API and checks that the
server refuses it on the same question with the same message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.client import (
    FORM_ID,
    Person,
    fill_family,
    fill_identity,
    fill_needs,
    fill_origin,
    fill_residence,
    fill_work,
    next_page,
    open_form,
    outbox,
    progress,
    q,
)
from tests.support.live_server import LiveServer


def tomorrow() -> str:
    """Tomorrow in Xinzheng (the form's today() runs in Asia/Shanghai on both sides)."""
    return (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)).isoformat()


def finish(page: Page) -> None:
    """Press 完成并放入发送箱."""
    page.get_by_role("button", name="完成并放入发送箱").click()


def error_of(page: Page, path: str) -> Any:
    """The announced error line under a question."""
    return page.locator("#q" + ("/data/" + path).replace("/", "_") + "-err")


def server_verdict(server: LiveServer, data: dict[str, Any], version: str) -> dict[str, Any]:
    """POST data as the worker under a new instance id; returns the stored submission's detail."""
    instance_id = f"uuid:{uuid.uuid4()}"
    data = dict(data, meta=dict(data.get("meta", {}), instanceID=instance_id))
    status, answer = server.request("POST", f"/api/v1/forms/{FORM_ID}/submissions", user="worker",
                                    headers={"Accept-Language": "zh-CN"},
                                    body={"instance_id": instance_id, "form_version": version, "data": data,
                                          "meta": {"device_id": "browser-test", "location": None}})
    assert status in (200, 201, 400, 422), (status, answer)
    if status >= 400:  # refused at intake: the errors come back in the answer
        return {"status": "refused", "errors": [{"path": p, "message": " ".join(m) if isinstance(m, list) else m}
                                                for p, m in (answer.get("errors") or {}).items()]}
    return server.submission(instance_id)


def messages_at(detail: dict[str, Any], path: str) -> list[str]:
    """The server's messages for one question."""
    return [e["message"] for e in detail["errors"] if e["path"].rstrip("/").endswith(path)]


def sent_item(page: Page, name: str) -> dict[str, Any]:
    """The outbox item of the record for this person, once the server has taken it."""
    expect(page.locator(f".item.state-sent:has-text('{name}')")).to_be_visible()
    return next(i for i in outbox(page) if i["label"] == f"登记-{name}")


def test_future_arrival_date_shows_the_constraint_and_blocks_finishing(
        worker_page: Page, live_server: LiveServer, screenshot: Callable[..., Path]) -> None:
    page = worker_page
    person = Person(name="杨文辉", birth="1990-04-21", sequence="057")
    open_form(page)
    screenshot(page, "03-form-page-identity")
    fill_identity(page, person)
    wrong_id = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    q(page, "identity/id_number").fill(wrong_id)  # a wrong check character
    page.get_by_role("button", name="下一页").click()
    expect(error_of(page, "identity/id_number")).to_contain_text("校验")
    expect(progress(page)).to_have_text("第 1 / 6 页")
    id_message = error_of(page, "identity/id_number").inner_text()
    q(page, "identity/id_number").fill(person.id_number)
    next_page(page, 2)
    fill_origin(page, person)
    next_page(page, 3)
    fill_residence(page, person)
    q(page, "residence/arrival_date").fill(tomorrow())
    page.get_by_role("button", name="下一页").click()

    expect(error_of(page, "residence/arrival_date")).to_have_text("日期不能晚于今天")
    expect(page.locator(".notice[aria-live]")).to_have_text("本页有 1 处需要修改")
    expect(progress(page)).to_have_text("第 3 / 6 页")  # blocked
    expect(q(page, "residence/arrival_date")).to_have_attribute("aria-invalid", "true")
    expect(q(page, "residence/arrival_date")).to_be_focused()
    assert "q_data_residence_arrival_date-err" in (
        q(page, "residence/arrival_date").get_attribute("aria-describedby") or "")
    screenshot(page, "05-validation-error")
    assert not [i for i in outbox(page) if i["state"] != "draft"], "nothing may be queued"

    # Corrected, the form goes through; the server then judges the same future date the same way.
    q(page, "residence/arrival_date").fill(person.arrival)
    expect(error_of(page, "residence/arrival_date")).to_have_text("")
    next_page(page, 4)
    fill_work(page, person)
    next_page(page, 5)
    fill_family(page, person)
    next_page(page, 6)
    fill_needs(page, person)
    finish(page)
    page.wait_for_url("**#/outbox")
    item = sent_item(page, person.name)
    data = item["data"]
    data["residence"]["arrival_date"] = tomorrow()
    detail = server_verdict(live_server, data, version_of(live_server))
    assert detail["status"] in ("invalid", "refused"), detail
    assert messages_at(detail, "residence/arrival_date") == ["日期不能晚于今天"], detail["errors"]
    data["residence"]["arrival_date"] = person.arrival
    data["identity"]["id_number"] = wrong_id
    detail = server_verdict(live_server, data, version_of(live_server))
    assert detail["status"] in ("invalid", "refused"), detail
    # Same question refused; the wording may differ: the client's built-in resident ID check says
    # 校验位不正确 where the server's says 校验码错误 (both name the check character).
    assert "校验" in id_message and any("校验" in m for m in messages_at(detail, "identity/id_number")), (
        id_message, detail["errors"])


def test_other_needs_text_is_asked_only_when_other_is_ticked(worker_page: Page, live_server: LiveServer) -> None:
    page = worker_page
    person = Person(name="哈力克", birth="1988-02-02", sequence="035", needs=["医疗"])
    open_form(page)
    fill_identity(page, person)
    for n, fill in enumerate((fill_origin, fill_residence, fill_work, fill_family), start=2):
        next_page(page, n)
        fill(page, person)
    next_page(page, 6)
    fill_needs(page, person)
    other_text = q(page, "needs_group/needs_other")
    other_box = q(page, "needs_group/needs").get_by_label("其他", exact=True)
    expect(other_text).to_have_count(0)
    other_box.check()
    expect(other_text).to_be_visible()
    expect(page.locator("#q_data_needs_group_needs_other-label")).to_have_text("其他需求（请注明） *")
    other_box.uncheck()
    expect(other_text).to_have_count(0)
    other_box.check()
    finish(page)  # required once relevant
    expect(error_of(page, "needs_group/needs_other")).to_have_text(re.compile("必填"))
    expect(other_text).to_be_focused()
    assert page.url.endswith(f"#/form/{FORM_ID}")
    other_text.fill("需要办理居住证的帮助")
    finish(page)
    page.wait_for_url("**#/outbox")
    data = sent_item(page, person.name)["data"]
    assert data["needs_group"] == {"needs": "medical other", "needs_other": "需要办理居住证的帮助",
                                   "remarks": ""}, data["needs_group"]

    # The server: the text is required with 'other' and must be absent without it.
    missing = dict(data, needs_group=dict(data["needs_group"], needs_other=""))
    detail = server_verdict(live_server, missing, version_of(live_server))
    assert detail["status"] in ("invalid", "refused") and messages_at(detail, "needs_group/needs_other"), detail
    stray = dict(data, needs_group=dict(data["needs_group"], needs="medical"))
    detail = server_verdict(live_server, stray, version_of(live_server))
    assert detail["status"] in ("invalid", "refused") and messages_at(detail, "needs_group/needs_other"), detail


def version_of(server: LiveServer) -> str:
    """The published version of the registration form."""
    status, answer = server.request("GET", f"/api/v1/forms/{FORM_ID}", user="worker")
    assert status == 200, answer
    return str(answer["version"])
