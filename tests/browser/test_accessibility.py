"""Accessibility on a 360 px phone, screen by screen: every visible control has an accessible
name, touch targets are at least 44x44 px, nothing overflows sideways, and errors are
announced through live regions that are already in the accessibility tree."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.client import (
    Person,
    fill_family,
    fill_identity,
    fill_needs,
    fill_origin,
    fill_residence,
    fill_work,
    login,
    next_page,
    open_form,
    progress,
    q,
)


def test_screens_are_named_big_enough_and_announce_errors(page: Page, screenshot: Callable[..., Path]) -> None:
    page.goto("/m/")
    expect(page.get_by_label("用户名")).to_be_visible()
    audit(page, "login")
    page.get_by_label("用户名").fill("worker")
    screenshot(page, "01-login")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".login [role=alert]")).not_to_be_empty()  # the refusal is announced
    audit(page, "login refused")
    login(page, "worker")
    audit(page, "form list")
    screenshot(page, "02-form-list")

    person = Person(name="马丽", birth="1996-07-19", sequence="064", needs=["其他"], needs_other="咨询子女入学",
                    children=[("马小明", "男", "2020-05-05", "学前")])
    open_form(page)
    audit(page, "form page 1")
    page.get_by_role("button", name="下一页").click()  # nothing filled: required answers missing
    notice = page.locator(".notice")
    expect(notice).to_have_attribute("aria-live", "polite")
    expect(notice).to_have_text(re.compile(r"本页有 \d+ 处需要修改"))
    expect(page.locator("#q_data_identity_full_name-err")).to_have_attribute("role", "alert")
    expect(page.locator("#q_data_identity_full_name-err")).not_to_be_empty()
    expect(q(page, "identity/full_name")).to_be_focused()
    audit(page, "form page 1 with errors")
    screenshot(page, "06-required-errors")
    fill_identity(page, person)
    audit(page, "form page 1 filled")
    for n, fill in enumerate((fill_origin, fill_residence, fill_work, fill_family, fill_needs), start=2):
        next_page(page, n)
        audit(page, f"form page {n}")
        if fill is fill_residence:
            fill_residence(page, person, locate=True)
        else:
            fill(page, person)
        audit(page, f"form page {n} filled")
    expect(progress(page)).to_have_text("第 6 / 6 页")
    page.get_by_role("button", name="完成并放入发送箱").click()
    page.wait_for_url("**#/outbox")
    expect(page.locator(".item.state-sent")).to_have_count(1)
    audit(page, "outbox")
