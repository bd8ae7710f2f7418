"""The form designer's screens of the console at 1366x768, end to end against the real service.

A designer drops a broken workbook on the upload zone and sees every problem located by sheet,
row and column with the cell's content; uploads the fixed workbook; previews the draft as the
phone renders it, in Uyghur right to left; test-fills a constraint and sees its message;
publishes after confirming; sees the version in the list with who published it; uploads a
second version and compares the two. Supervisors do not see the section, admins do. Each
screen passes the shared accessibility audit and is saved to
tests/artifacts/screenshots/console/designer-*.png.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.console import console_login
from tests.support.live_server import LiveServer

Shot = Callable[[Page, str], Path]
FORM_ID = "migrant_survey"
AGE_MESSAGE_ZH = "年龄须在 16 至 120 岁之间"
AGE_MESSAGE_UG = "يېشى 16 دىن 120 گىچە بولۇشى كېرەك"
HEADER = ["type", "name", "label::zh", "label::ug", "relevant", "constraint", "constraint_message::zh",
          "constraint_message::ug", "calculation"]


def _workbook(*, broken: bool = False, version: str = "1", extra: bool = False, form_id: str = FORM_ID,
              title: str = "流动人口情况调查") -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(HEADER)
    upper = "130" if extra else "120"
    survey.append(["text", "full_name", "姓名", "ئىسمى", "", "", "", "", ""])
    survey.append(["integer", "age", "年龄", "يېشى", "", f". >= 16 and . <= {upper}",
                   AGE_MESSAGE_ZH, AGE_MESSAGE_UG, ""])
    survey.append(["intger" if broken else "integer", "children", "子女人数", "بالىلىرى سانى",
                   "${agee} >= 18" if broken else "${age} >= 18", "", "", "", ""])
    survey.append(["calculate", "birth_year", "", "", "", "", "", "", "2026 - ${age}"])
    if extra:
        survey.append(["text", "phone", "联系电话", "تېلېفون", "", "", "", "", ""])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append([form_id, version, title, "zh"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _drop(page: Page, data: bytes, name: str) -> None:
    """Drop a file on the upload zone, as a designer dragging it from the desktop."""
    transfer = page.evaluate_handle(
        """([b64, name]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
          const dt = new DataTransfer()
          dt.items.add(new File([bytes], name))
          return dt
        }""", [base64.b64encode(data).decode(), name])
    zone = page.get_by_role("group", name="表单文件拖放区")
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})


def _top(page: Page) -> None:
    """Scroll to the top before a full-page screenshot, so the sticky menu bar is drawn where it belongs."""
    page.evaluate("window.scrollTo(0, 0)")


def test_a_designer_takes_a_workbook_from_errors_to_a_published_version(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot, tmp_path: Path) -> None:
    live_server.token("designer")
    page = console_page
    console_login(page, "designer")
    nav = page.get_by_role("navigation", name="主菜单")
    expect(nav.get_by_role("link")).to_have_text(["表单设计"])
    expect(page.get_by_role("heading", name="表单设计", exact=True)).to_be_visible()
    expect(page.locator("tr[data-form=person_registration]")).to_contain_text("第")

    # A broken workbook dropped on the zone: nothing stored, every problem located with its cell.
    _drop(page, _workbook(broken=True), "migrant_survey.xlsx")
    problems = page.locator(".problem-table tbody tr")
    expect(page.locator(".workbook-problems")).to_contain_text("migrant_survey.xlsx 有")
    expect(problems.filter(has_text="intger")).to_contain_text("survey")
    unknown_type = problems.filter(has_text="intger").locator("td")
    expect(unknown_type.nth(1)).to_have_text("4")
    expect(unknown_type.nth(2)).to_have_text("type")
    expect(unknown_type.nth(4)).to_contain_text("未知的题型")
    reference = problems.filter(has_text="${agee} >= 18").locator("td")
    expect(reference.nth(1)).to_have_text("4")
    expect(reference.nth(2)).to_have_text("relevant")
    expect(reference.nth(4)).to_contain_text("引用了不存在的字段")
    expect(page.locator("tr[data-form=migrant_survey]")).to_have_count(0)
    audit(page, "designer: workbook problems")
    _top(page)
    console_screenshot(page, "designer-01-errors")

    # The fixed workbook, chosen with the file input: a draft, opened in the preview.
    fixed = tmp_path / "migrant_survey.xlsx"
    fixed.write_bytes(_workbook())
    page.get_by_label("选择文件").set_input_files(str(fixed))
    expect(page.get_by_role("heading", name="流动人口情况调查 migrant_survey")).to_be_visible()
    preview = page.get_by_role("region", name="手机预览")
    expect(preview.get_by_label("姓名")).to_be_visible()
    expect(page.locator(".publish")).to_contain_text("草稿第 1 版可以发布")

    # Uyghur: labels in Uyghur, the form laid out right to left.
    preview.get_by_label("语言").select_option(label="ئۇيغۇرچە")
    expect(preview.locator("form.filler")).to_have_attribute("dir", "rtl")
    expect(preview.get_by_label("ئىسمى")).to_be_visible()

    # Test-fill: an age outside the constraint shows the constraint's message; relevance and the
    # calculation follow the answers; nothing is submitted.
    preview.get_by_label("ئىسمى").fill("ئايگۈل")
    preview.get_by_label("يېشى").fill("12")
    expect(preview.get_by_label("بالىلىرى سانى")).to_have_count(0)
    preview.get_by_role("button", name="检查全部答案").click()
    expect(preview.locator(".q.has-error")).to_contain_text(AGE_MESSAGE_UG)
    audit(page, "designer: preview in Uyghur")
    _top(page)
    console_screenshot(page, "designer-02-preview-ug")
    preview.get_by_label("语言").select_option(label="中文")
    expect(preview.locator("form.filler")).to_have_attribute("dir", "ltr")
    expect(preview.locator(".q.has-error")).to_contain_text(AGE_MESSAGE_ZH)
    preview.get_by_label("年龄").fill("30")
    expect(preview.get_by_label("子女人数")).to_be_visible()
    page.get_by_text("计算结果").click()
    expect(page.locator(".calculated")).to_contain_text("1996")
    preview.get_by_role("button", name="检查全部答案").click()
    expect(preview.get_by_role("status")).to_contain_text("试填通过")
    status, subs = live_server.request("GET", f"/api/v1/forms/{FORM_ID}/submissions", user="admin")
    assert status in (200, 404) and not (status == 200 and subs["items"]), subs

    # Publish, after confirming: the version list says who published it and when.
    page.get_by_role("button", name="发布草稿").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("确定发布第 1 版吗")
    expect(page.get_by_role("button", name="确认发布")).to_be_focused()
    audit(page, "designer: publish confirmation")
    _top(page)
    console_screenshot(page, "designer-03-confirm")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").last).to_contain_text("第 1 版已发布")
    row = page.locator(".versions-table tr[data-version='1']")
    expect(row).to_contain_text("使用中")
    expect(row.locator("td").nth(4)).to_have_text("designer")
    expect(page.locator(".publish")).to_contain_text("没有待发布的草稿")

    # Changed content under the published version number is refused with what to do about it.
    same_number = tmp_path / "migrant_survey_same_version.xlsx"
    same_number.write_bytes(_workbook(version="1", extra=True))
    page.get_by_label("选择文件").set_input_files(str(same_number))
    expect(page.locator(".upload .warn")).to_contain_text("请修改版本号")
    expect(page.locator(".versions-table tbody tr")).to_have_count(1)

    # A second version: the diff names the question added and the constraint changed.
    second = tmp_path / "migrant_survey_v2.xlsx"
    second.write_bytes(_workbook(version="2", extra=True))
    page.get_by_label("选择文件").set_input_files(str(second))
    expect(page.locator(".versions-table tr[data-version='2']")).to_contain_text("草稿")
    page.get_by_label("旧版本").select_option("1")
    page.get_by_label("新版本").select_option("2")
    page.get_by_role("button", name="比较", exact=True).click()
    diff = page.locator(".form-diff")
    expect(diff.locator(".diff-added")).to_contain_text("phone")
    expect(diff.locator(".diff-changed")).to_contain_text(". >= 16 and . <= 130")
    expect(diff).not_to_contain_text("删除的题目")
    audit(page, "designer: versions and diff")
    _top(page)
    console_screenshot(page, "designer-04-versions-diff")

    # Another form's workbook dropped here opens that form, not this one.
    _drop(page, _workbook(form_id="rental_check", title="出租房屋检查"), "rental_check.xlsx")
    expect(page.get_by_role("heading", name="出租房屋检查 rental_check")).to_be_visible()

    # Back on the list: the published version and the waiting draft.
    page.get_by_role("link", name="返回表单列表").click()
    listed = page.locator("tr[data-form=migrant_survey]")
    expect(listed).to_contain_text("第 1 版")
    expect(listed).to_contain_text("有草稿待发布")
    _top(page)
    console_screenshot(page, "designer-05-list")


def test_supervisors_do_not_see_form_design_and_admins_do(
        console_page: Page, live_server: LiveServer, console_screenshot: Shot) -> None:
    live_server.token("admin")
    page = console_page
    console_login(page, "supervisor")
    nav = page.get_by_role("navigation", name="主菜单")
    expect(nav.get_by_role("link", name="审核队列")).to_be_visible()
    expect(nav.get_by_role("link", name="表单设计")).to_have_count(0)
    page.goto("/console/#/forms")
    expect(page.get_by_role("heading", name="审核队列")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    console_login(page, "admin")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="表单设计").click()
    expect(page.get_by_role("heading", name="表单设计", exact=True)).to_be_visible()

    # The city's own registration form previews with the phone's components (its photo, location
    # and resident-ID questions included) without a script error; the demo loaded it, not a person.
    page.get_by_role("link", name="打开 基础信息采集").click()
    preview = page.get_by_role("region", name="手机预览")
    expect(preview.locator(".q").first).to_be_visible()
    expect(page.locator(".versions-table tbody tr").first).to_contain_text("系统")
    audit(page, "designer: the city's registration form")
    # the form scrolls inside the phone frame, never the page (hidden inputs stay inside the frame)
    assert page.evaluate("document.documentElement.scrollHeight") <= 1000
    _top(page)
    console_screenshot(page, "designer-06-city-form")
