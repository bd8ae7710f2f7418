"""A long page mounts in steps (app/components/FormScreen.js): the questions that fill the first
screen before the first paint, the rest a step per frame. Finishing before the rest is there
still checks every question of the page, shows each error and mounts the whole page to focus
the first one; left alone, the page mounts completely."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import form_link, outbox, q
from tests.support.live_server import LiveServer

FORM = "long_page_check"
QUESTIONS = 40  # more than the first screen and the first mounting step after it
SHOWN = QUESTIONS - 1  # q39 is not relevant


def long_form() -> bytes:
    """One page of text questions: q38 starts too long for its constraint, q39 is not relevant,
    q40 is required."""
    import openpyxl

    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::zh", "required", "relevant", "constraint", "constraint_message::zh",
                   "default"])
    for i in range(1, QUESTIONS + 1):
        survey.append(["text", f"q{i:02d}", f"第{i}题", "yes" if i == 40 else "", "${q01} = 'x'" if i == 39 else "",
                       "string-length(.) <= 3" if i == 38 else "", "最多3个字" if i == 38 else "",
                       "toolong" if i == 38 else ""])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append([FORM, "1", "长页检查", "zh"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def published(live_server: LiveServer) -> Iterator[str]:
    """The long form, published once for this module."""
    live_server.publish(FORM, long_form())
    yield FORM


# Opens the form and presses 完成 in the microtask after its first mount reaches the DOM
# (before the next mounting step can run); reports what was mounted at that moment.
FINISH_WHILE_MOUNTING = """(formId) => new Promise((resolve) => {
  const watch = new MutationObserver(() => {
    const fields = document.querySelector('form.filler .fields')
    if (!fields) return
    watch.disconnect()
    const seen = { mounted: fields.dataset.mounted, questions: fields.querySelectorAll('.q').length,
                   q38: document.getElementById('q_data_q38') !== null }
    fields.closest('form').requestSubmit()
    resolve(seen)
  })
  watch.observe(document.getElementById('main'), { childList: true, subtree: true })
  location.hash = '#/form/' + encodeURIComponent(formId)
})"""


def test_finishing_a_page_still_mounting_checks_all_of_it(published: str, worker_page: Page) -> None:
    page = worker_page
    expect(form_link(page, published)).to_be_visible()
    seen = page.evaluate(FINISH_WHILE_MOUNTING, published)
    assert seen["mounted"] == "part" and seen["questions"] < 38 and not seen["q38"], seen
    expect(page.locator(".notice")).to_have_text("本页有 2 处需要修改")  # q38 too long, q40 empty
    expect(page.locator("form.filler .fields")).to_have_attribute("data-mounted", "all")
    expect(page.locator("#q_data_q38-err")).to_have_text("最多3个字")
    expect(page.locator("#q_data_q40-err")).not_to_be_empty()
    expect(q(page, "q38")).to_be_focused()  # mounted at once to take the focus
    expect(q(page, "q39")).to_have_count(0)
    audit(page, "long page with errors")
    assert outbox(page) == [], "a page with errors went to the outbox"

    q(page, "q38").fill("ok")
    q(page, "q40").fill("好")
    page.get_by_role("button", name="完成并放入发送箱").click()
    page.wait_for_url("**#/outbox")
    [item] = outbox(page)
    assert item["formId"] == published and item["data"]["q38"] == "ok" and item["data"]["q40"] == "好"


def test_a_long_page_left_alone_mounts_completely(published: str, worker_page: Page) -> None:
    page = worker_page
    form_link(page, published).click()
    expect(page.locator("form.filler .fields")).to_have_attribute("data-mounted", "all")
    expect(page.locator("form.filler .q")).to_have_count(SHOWN)
    # The mark is made after paint, a frame or more after the last question went in.
    page.wait_for_function("performance.getEntriesByName('gridreg:form-complete').length > 0")
    assert page.evaluate("performance.getEntriesByName('gridreg:form-complete').length") == 1
    audit(page, "long page")
