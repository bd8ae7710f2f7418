"""The supervisors' console at 1366x768, end to end against the real service.

(a) A worker registers a person on the phone (/m/); the supervisor returns it with a comment;
the correction comes back as an edit; the supervisor sees the changed answer and approves; the
registry shows the corrected value. (b) A duplicate pair is merged from the console and the
merge undone from the person's page. (c) A decision taken in a second tab after someone else
decided says so (数据已被他人修改，请刷新) and changes nothing. Each main screen passes the same
accessibility audit as the phone client and is saved to tests/artifacts/screenshots/console/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import Person, jpeg, login, outbox, register
from tests.browser.console import (
    candidate_between,
    console_login,
    registration,
    review,
    submission_href,
    submit,
)
from tests.support.live_server import LiveServer

Shot = Callable[[Page, str], Path]
STALE = "数据已被他人修改，请刷新"


def _queue_row(page: Page, instance_id: str) -> Any:
    """Filter the queue to the demo worker and find a submission's row."""
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="审核队列").click()
    page.get_by_label("网格员（用户名）").fill("worker")
    page.get_by_role("button", name="筛选", exact=True).click()
    return page.locator(f'tr:has(a[href="{submission_href(instance_id)}"])')


def test_a_worker_is_told_the_console_is_for_supervisors(console_page: Page, console_screenshot: Shot) -> None:
    page = console_page
    page.goto("/console/")
    expect(page.get_by_role("heading", name="网格督导台")).to_be_visible()
    audit(page, "console login")
    console_screenshot(page, "01-login")
    console_login(page, "worker")
    expect(page.get_by_role("alert")).to_contain_text("仅供督导员、部门、表单设计员和管理员使用")
    expect(page.get_by_role("navigation", name="主菜单")).to_have_count(0)
    audit(page, "console refused to a worker")
    console_screenshot(page, "02-not-for-workers")


def test_returned_submission_comes_back_corrected_and_is_approved(
        page: Page, console_page: Page, live_server: LiveServer, console_screenshot: Shot, tmp_path: Path) -> None:
    # The worker's phone: register one person with a photo and a GPS fix and send it.
    person = Person(name="马秀兰", birth="1991-09-03", sequence="026", phone="13800138000")
    phone = page
    photo = tmp_path / "person.jpg"
    photo.write_bytes(jpeg())
    login(phone, "worker")
    local_id = register(phone, person, photo=photo, locate=True)
    expect(phone.locator(".item.state-sent")).to_have_count(1, timeout=30_000)
    first = f"uuid:{local_id}"
    sent = next(i for i in outbox(phone) if i["instanceID"] == local_id)

    # The supervisor finds it in the queue, newest first, and opens it.
    desk = console_page
    console_login(desk)
    expect(desk.get_by_role("heading", name="审核队列")).to_be_visible()
    row = _queue_row(desk, first)
    expect(row).to_contain_text("待审核")
    expect(desk.locator("tbody tr").first).to_have_attribute("data-id", first)  # newest first
    expect(desk.get_by_role("list", name="各审核状态数量")).to_contain_text("待审核")
    audit(desk, "review queue")
    console_screenshot(desk, "03-queue")
    row.get_by_role("link", name=re.compile("^查看")).click()
    expect(desk.get_by_role("heading", name="填报内容")).to_be_visible()
    answers = desk.locator(".answers")
    expect(answers.locator(".a-row", has_text="姓名").first).to_contain_text("马秀兰")
    expect(answers.locator(".a-row", has_text="住所类型")).to_contain_text("租赁房")  # the label, not the code
    expect(answers.locator("fieldset legend", has_text="一、基本信息")).to_be_visible()
    expect(desk.locator(".legend")).to_contain_text("提交位置（精度 ±8 米）")
    expect(desk.locator(".leaflet-overlay-pane path")).not_to_have_count(0)  # the grid, neighbours, the point
    thumb = answers.get_by_role("button", name="查看原图：本人照片")
    expect(thumb.locator("img")).to_be_visible()  # the thumbnail, fetched with the token
    audit(desk, "submission page")
    console_screenshot(desk, "04-submission")
    thumb.click()
    full = desk.get_by_role("dialog", name="照片：本人照片")
    expect(full.locator("img")).to_be_visible()
    assert full.locator("img").evaluate("img => img.naturalWidth") > 320  # the display size, not the thumbnail
    desk.keyboard.press("Escape")
    expect(full).to_have_count(0)

    # Return it with a comment: refused without one, then sent back.
    desk.get_by_role("button", name="退回修改").click()
    expect(desk.locator(".review .outcome")).to_contain_text("请填写意见")
    desk.get_by_label("审核意见").fill("联系电话有误，请核对后重新提交")
    desk.get_by_role("button", name="退回修改").click()
    expect(desk.locator(".review h2")).to_contain_text("需要修改")
    expect(desk.locator(".thread")).to_contain_text("联系电话有误")
    assert live_server.submission(first)["review_state"] == "returned"

    # The worker corrects the phone number and sends the correction as an edit of the returned one.
    data = sent["data"]
    data["identity"]["phone"] = "13900139002"
    edit = submit(live_server, data, deprecated_id=first, files={data["identity"]["photo"]: photo.read_bytes()})

    # The supervisor sees the new version in the queue, the changed answer, and approves it.
    row = _queue_row(desk, edit)
    expect(row).to_contain_text("修改版")
    row.get_by_role("link", name=re.compile("^查看")).click()
    diff = desk.locator(".diff")
    expect(diff.get_by_role("row", name=re.compile("联系电话"))).to_contain_text("138****8000")
    expect(diff.get_by_role("row", name=re.compile("联系电话"))).to_contain_text("139****9002")
    expect(diff.locator("tbody tr")).to_have_count(1)
    audit(desk, "submission with changes")
    console_screenshot(desk, "05-submission-changes")
    desk.get_by_role("button", name="通过", exact=True).click()
    expect(desk.locator(".review h2")).to_contain_text("已通过")
    assert live_server.submission(edit)["review_state"] == "approved"
    expect(desk.locator(".info", has_text="原提交的审核意见")).to_contain_text("联系电话有误")

    # The returned version is no longer reviewed: it points at the latest one.
    desk.get_by_role("link", name="查看原提交").click()
    expect(desk.locator(".review")).to_contain_text("网格员已提交修改版")
    expect(desk.get_by_role("button", name="通过", exact=True)).to_have_count(0)
    desk.get_by_role("link", name="查看最新版本").click()
    expect(desk.locator(".review h2")).to_contain_text("已通过")

    # The registry shows the corrected value.
    desk.get_by_role("link", name="查看登记信息").click()
    expect(desk.get_by_role("heading", name="当前信息")).to_be_visible()
    current = desk.locator(".kv")
    expect(current.get_by_role("row", name=re.compile("联系电话"))).to_contain_text("139****9002")
    expect(current.get_by_role("row", name=re.compile("公民身份号码"))).to_contain_text("**********")  # masked
    expect(current.get_by_role("row", name=re.compile("住所类型"))).to_contain_text("租赁房")  # labels, not codes
    audit(desk, "person page")
    console_screenshot(desk, "06-person")


def test_duplicates_are_merged_and_unmerged_from_the_console(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    ids = [submit(live_server, registration("马秀英", "1988-02-14", "062", phone="13700137001")),
           submit(live_server, registration("马秀瑛", "1988-02-14", "084", phone="13700137001"))]
    for iid in ids:  # persons merge into the registry once approved
        review(live_server, iid, "approved")
    cand = candidate_between(live_server, "马秀英", "马秀瑛")

    page = console_page
    console_login(page)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="疑似重复").click()
    card = page.locator("article.candidate", has_text="马秀瑛")
    expect(card).to_contain_text("相似度")
    expect(card.locator("tr.differs", has_text="姓名")).to_contain_text("不同")
    expect(card.locator("tr:not(.differs)", has_text="出生日期")).to_contain_text("1988-02-14")
    audit(page, "duplicates")
    console_screenshot(page, "07-duplicates")
    card.get_by_label(re.compile("（马秀英）$")).check()
    card.get_by_role("button", name="合并为同一人").click()
    expect(page.locator("article.candidate", has_text="马秀瑛")).to_have_count(0)
    status, merged = live_server.request("GET", f"/api/v1/registry/persons/duplicates/{cand['id']}", user="admin")
    assert status == 200 and merged["status"] == "merged", merged
    survivor = next(r for r in (cand["a"], cand["b"]) if r["label"] == "马秀英")
    other = next(r for r in (cand["a"], cand["b"]) if r["label"] == "马秀瑛")
    assert merged["survivor"] == survivor["uuid"]

    # Unmerge from the survivor's page: found by name, the merge on its timeline.
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="人员查询").click()
    page.get_by_label("姓名（汉字或拼音）").fill("马秀英")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="马秀英", exact=True).click()
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("合并")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销合并").click()
    expect(timeline.locator("li").first).to_contain_text("撤销合并")
    expect(page.get_by_role("button", name="撤销合并")).to_have_count(0)
    audit(page, "person after unmerge")
    status, back = live_server.request("GET", f"/api/v1/registry/persons/entities/{other['uuid']}", user="admin")
    assert status == 200 and back["status"] == "active" and back["merged_into"] is None, back


def test_a_stale_decision_in_a_second_tab_says_so_and_changes_nothing(
        console: Any, live_server: LiveServer, console_screenshot: Shot) -> None:
    iid = submit(live_server, registration("王桂芝", "1979-11-30", "048", phone="13600136001"))
    pairs = [submit(live_server, registration(n, "1983-05-06", s, phone="13500135001"))
             for n, s in (("赵丽华", "022"), ("赵利华", "044"))]
    for p in pairs:
        review(live_server, p, "approved")
    cand = candidate_between(live_server, "赵丽华", "赵利华")
    first, second = console.new_page(), console.new_page()
    console_login(first)
    expect(first.get_by_role("heading", name="审核队列")).to_be_visible()

    # Two tabs on one submission: the first approves, the second still holds the old ETag.
    for tab in (first, second):
        tab.goto(f"/console/{submission_href(iid)}")
        expect(tab.get_by_role("heading", name="填报内容")).to_be_visible()
    first.get_by_role("button", name="通过", exact=True).click()
    expect(first.locator(".review h2")).to_contain_text("已通过")
    second.get_by_label("审核意见").fill("请补充照片")
    second.get_by_role("button", name="退回修改").click()
    expect(second.locator(".review .outcome")).to_contain_text(STALE)
    audit(second, "stale decision")
    console_screenshot(second, "08-stale-decision")
    detail = live_server.submission(iid)
    assert detail["review_state"] == "approved", detail["review_state"]
    status, thread = live_server.request("GET", f"/api/v1/submissions/{iid}/comments", user="supervisor")
    assert status == 200 and "请补充照片" not in str(thread), thread
    second.get_by_role("button", name="刷新").click()
    expect(second.locator(".review h2")).to_contain_text("已通过")

    # Two tabs on the duplicate queue: one merges, the other's "distinct" is refused.
    for tab in (first, second):
        tab.goto("/console/#/duplicates")
        expect(tab.locator("article.candidate", has_text="赵利华")).to_be_visible()
    first.locator("article.candidate", has_text="赵利华").get_by_role("button", name="合并为同一人").click()
    expect(first.locator("article.candidate", has_text="赵利华")).to_have_count(0)
    stale = second.locator("article.candidate", has_text="赵利华")
    stale.get_by_role("button", name="不是同一人").click()
    expect(stale.locator(".outcome")).to_contain_text(STALE)
    status, after = live_server.request("GET", f"/api/v1/registry/persons/duplicates/{cand['id']}", user="admin")
    assert status == 200 and after["status"] == "merged", after


def _entity_of(server: LiveServer, instance_id: str) -> str:
    """The registry record a merged submission wrote."""
    status, result = server.request("GET", f"/api/v1/registry/submissions/{instance_id}", user="supervisor")
    assert status == 200 and result["blocks"][0]["entity_uuid"], result
    return str(result["blocks"][0]["entity_uuid"])


def visit(person: str, day: str, kind: str) -> dict[str, Any]:
    """A household visit to a person, made against version 1 of their record."""
    return {"person": person, "visit_date": day, "visit_type": kind, "still_resident": "yes", "situation": "在家",
            "follow_up_needed": "no", "meta": {"entity": {"baseVersion": "1"}}}


def test_conflicts_and_held_moves_are_decided_from_the_console(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    # Two visits made against the same version of a record: the second conflicts with the first.
    reg = submit(live_server, registration("马玉梅", "1975-01-20", "040", phone="13300133001"))
    review(live_server, reg, "approved")
    person = _entity_of(live_server, reg)
    for day, kind in (("2026-12-01", "home"), ("2026-12-02", "phone")):
        review(live_server, submit(live_server, visit(person, day, kind), form_id="household_visit"), "approved")
    # A correction that places another person in the next grid north: outside the worker's grid, held.
    moved = submit(live_server, registration("马玉兰", "1977-03-08", "060", phone="13300133002"))
    review(live_server, moved, "approved")
    mover = _entity_of(live_server, moved)
    edit = submit(live_server, registration("马玉兰", "1977-03-08", "060", phone="13300133002",
                                            location="34.41 113.742 0 5"), deprecated_id=moved)
    review(live_server, edit, "approved")

    page = console_page
    console_login(page)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="数据冲突").click()
    card = page.locator("article", has_text="马玉梅")
    row = card.get_by_role("row", name=re.compile("最近走访日期"))
    expect(row).to_contain_text("2026-12-01")
    expect(row).to_contain_text("2026-12-02")
    audit(page, "conflicts")
    console_screenshot(page, "09-conflicts")
    row.get_by_label(re.compile("新提交值 2026-12-02")).check()
    card.get_by_role("row", name=re.compile("最近走访方式")).get_by_label(re.compile("新提交值")).check()
    card.get_by_role("button", name="保存选择").click()
    expect(page.locator("article", has_text="马玉梅")).to_have_count(0)
    status, record = live_server.request("GET", f"/api/v1/registry/persons/entities/{person}", user="supervisor")
    assert status == 200 and record["conflict"] is None, record
    assert (record["properties"]["last_visit_date"], record["properties"]["last_visit_type"]) == ("2026-12-02", "phone")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="待审迁移").click()
    card = page.locator("article.move", has_text="马玉兰")
    expect(card.locator(".legend")).to_contain_text("现所在网格")
    expect(card.locator(".legend")).to_contain_text("提交中所在网格")
    expect(card.locator(".leaflet-overlay-pane path")).not_to_have_count(0)
    audit(page, "held moves")
    console_screenshot(page, "10-moves")
    card.get_by_role("button", name="同意迁移").click()
    expect(page.locator("article.move", has_text="马玉兰")).to_have_count(0)
    status, record = live_server.request("GET", f"/api/v1/registry/persons/entities/{mover}", user="supervisor")
    assert status == 200 and record["events"][-1]["kind"] == "moved", record["events"]


def test_people_search_is_accessible(console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    person = submit(live_server, registration("马兰芳", "1981-10-10", "080", phone="13900139088"))
    review(live_server, person, "approved")
    page = console_page
    console_login(page)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="人员查询").click()
    page.get_by_label("姓名（汉字或拼音）").fill("malan")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table")).to_contain_text("马兰芳")
    audit(page, "people search")
    console_screenshot(page, "11-people")

    # A token revoked elsewhere (logged out in another tab): the next call asks to log in again.
    page.evaluate("""() => fetch('/api/v1/auth/token', {method: 'DELETE', headers: {Authorization:
      'Bearer ' + JSON.parse(localStorage.getItem('gridreg.console.auth')).token}})""")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="审核队列").click()
    expect(page.get_by_label("密码")).to_be_visible()
    console_login(page)
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()


def test_a_review_can_be_made_with_the_keyboard_alone(console_page: Page, live_server: LiveServer) -> None:
    iid = submit(live_server, registration("王秀珍", "1969-04-11", "028", phone="13200132001"))
    page = console_page
    console_login(page)
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    page.goto(f"/console/{submission_href(iid)}")
    expect(page.get_by_role("heading", name="填报内容")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()  # the first stop skips the menu
    for _ in range(60):  # on through the page in order until the approve button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "通过":
            break
    else:
        raise AssertionError("the approve button is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".review h2")).to_contain_text("已通过")
    assert live_server.submission(iid)["review_state"] == "approved"


def test_usable_on_a_tablet(console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    iid = submit(live_server, registration("马桂英", "1966-08-19", "086", phone="13100131001"))
    page = console_page
    console_login(page)
    for width, height in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/console/#/queue")
        expect(page.locator("tbody tr").first).to_be_visible()
        audit(page, f"queue at {width}x{height}")
        page.goto(f"/console/{submission_href(iid)}")
        expect(page.get_by_role("heading", name="填报内容")).to_be_visible()
        expect(page.locator(".leaflet-overlay-pane path")).not_to_have_count(0)
        audit(page, f"submission at {width}x{height}")
    console_screenshot(page, "12-tablet-portrait-submission")


def test_problems_sit_at_their_questions_and_flags_are_explained(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    data = registration("马有误", "1990-01-01", "011", phone="12345", location="34.4 113.74 0 500")
    data["identity"]["sex"] = "2"  # the ID number says male
    iid = submit(live_server, data)
    assert live_server.submission(iid)["status"] == "invalid"
    page = console_page
    console_login(page)
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    page.get_by_label("校验状态").select_option("invalid")
    page.get_by_label("标记").select_option("low_accuracy")
    page.get_by_role("button", name="筛选", exact=True).click()
    row = page.locator(f'tr[data-id="{iid}"]')
    expect(row).to_contain_text("校验未通过")
    expect(row).to_contain_text("定位精度差")
    row.get_by_role("link", name=re.compile("^查看")).click()
    expect(page.locator(".flags")).to_contain_text("定位精度较差：约 ±500 米")
    sex = page.locator(".a-row.has-error", has_text="性别")
    expect(sex.locator(".a-value")).to_contain_text("女")  # the answer as given, its problem beside it
    expect(sex.locator(".q-error")).to_have_text("性别与身份证号码不符")
    expect(page.locator(".a-row.has-error", has_text="联系电话").locator(".q-error")).to_contain_text("手机号")
    summary = page.locator(".problems")
    expect(summary.get_by_role("heading")).to_have_text("校验问题（2）")
    expect(page.locator(".leaflet-overlay-pane path")).not_to_have_count(0)
    audit(page, "invalid submission")
    console_screenshot(page, "13-problems-and-flags")
    summary.get_by_role("button", name="联系电话").click()  # jumps to the question
    expect(page.locator(".a-row.has-error", has_text="联系电话")).to_be_focused()


def test_base_tiles_are_off_until_asked_for(console_page: Page, live_server: LiveServer) -> None:
    import io

    from PIL import Image

    tile = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 236, 240)).save(tile, "PNG")
    asked: list[str] = []
    page = console_page
    # a city with its own tile server in GCJ-02 (what GRIDREG_TILE_URL / GRIDREG_TILE_CRS give the page)
    page.route("**/console/config.json", lambda route: route.fulfill(json={
        "tile_url": f"{live_server.url}/city-tiles/{{z}}/{{x}}/{{y}}.png", "tile_crs": "gcj02",
        "tile_attribution": "新郑市测绘院"}))
    page.route("**/city-tiles/**", lambda route: (asked.append(route.request.url),
                                                   route.fulfill(body=tile.getvalue(), content_type="image/png")))
    iid = submit(live_server, registration("马凤英", "1972-12-05", "068", phone="13000130001"))
    console_login(page)
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    page.goto(f"/console/{submission_href(iid)}")
    expect(page.locator(".leaflet-overlay-pane path")).not_to_have_count(0)
    switch = page.get_by_label("显示底图")
    expect(switch).not_to_be_checked()
    assert not asked and page.locator(".leaflet-tile").count() == 0  # vector layers only by default
    switch.check()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_have_text("新郑市测绘院")
    assert asked and all("/city-tiles/" in url for url in asked)
    expect(page.locator(".leaflet-overlay-pane path")).not_to_have_count(0)
    audit(page, "map with base tiles")


def test_the_queue_pages_newest_first(console_page: Page, live_server: LiveServer) -> None:
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许谢邹"
    sent = [submit(live_server, registration(f"{s}明远", f"19{50 + i}-0{1 + i % 9}-1{i % 10}", f"0{10 + 2 * i}",
                                              phone=f"1580000{1000 + i}")) for i, s in enumerate(surnames)]
    page = console_page
    console_login(page)
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    page.get_by_label("网格员（用户名）").fill("worker")
    page.get_by_role("button", name="筛选", exact=True).click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(20)
    first = rows.evaluate_all("rs => rs.map((r) => r.dataset.id)")
    assert first[:20] == sent[::-1][:20]  # newest first
    page.get_by_role("button", name="下一页").click()
    expect(rows.first).to_have_attribute("data-id", sent[1])
    second = rows.evaluate_all("rs => rs.map((r) => r.dataset.id)")
    assert not set(first) & set(second)
    page.get_by_role("button", name="回到第一页").click()
    expect(rows.first).to_have_attribute("data-id", sent[-1])
