"""Accessibility on a 360 px phone, screen by screen: every visible control has an accessible
name, touch targets are at least 44x44 px, nothing overflows sideways, and errors are
announced through live regions that are already in the accessibility tree."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

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

MIN_TARGET = 44

# Problems on the current screen: unnamed controls, small targets, sideways overflow, hidden live regions.
AUDIT = """(minTarget) => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
  const text = (el) => (el ? el.textContent : '').replace(/\\s+/g, ' ').trim()
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + Array.from(el.classList).join('.') : '') +
    (el.type ? '[' + el.type + ']' : '') + (text(el) ? ' "' + text(el).slice(0, 20) + '"' : '')
  const nameOf = (el) => {
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    if (by.length) return by.map((id) => text(document.getElementById(id))).join(' ').trim()
    if ((el.getAttribute('aria-label') || '').trim()) return el.getAttribute('aria-label').trim()
    const labels = Array.from(el.labels || []).map(text).join(' ').trim()
    return labels || (el.getAttribute('title') || '').trim()
  }
  const unnamed = []
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || !(shown(el) || (el.labels && Array.from(el.labels).some(shown)))) continue
    if (!nameOf(el)) unnamed.push(describe(el))
  }
  const small = []
  const bigEnough = (r) => r.height >= minTarget - 0.5 && r.width >= minTarget - 0.5
  for (const el of document.querySelectorAll('button, a[href], input, select, textarea')) {
    // a radio, check box or hidden file input is hit through its labels: one must be big enough
    const viaLabel = ['radio', 'checkbox', 'file'].includes(el.type) && el.labels && el.labels.length
    const targets = (viaLabel ? Array.from(el.labels) : [el]).filter(shown)
    if (!targets.length || el.type === 'hidden') continue
    const rects = targets.map((t) => t.getBoundingClientRect())
    if (!rects.some(bigEnough)) {
      small.push(describe(el) + ' ' + rects.map((r) => Math.round(r.width) + 'x' + Math.round(r.height)).join(','))
    }
  }
  const hiddenLive = Array.from(document.querySelectorAll('[aria-live], [role="alert"], [role="status"]'))
    .filter((el) => !shown(el) && !el.closest('[hidden]')).map(describe)
  return { unnamed, small, hiddenLive, width: document.documentElement.scrollWidth, viewport: innerWidth }
}"""


def audit(page: Page, screen: str) -> None:
    """Assert the screen passes the checks, naming every offending element."""
    found: dict[str, Any] = page.evaluate(AUDIT, MIN_TARGET)
    assert not found["unnamed"], f"{screen}: controls without an accessible name: {found['unnamed']}"
    assert not found["small"], f"{screen}: touch targets under {MIN_TARGET}px: {found['small']}"
    assert not found["hiddenLive"], (f"{screen}: live regions hidden with display:none are not in the "
                                     f"accessibility tree, so what they say later is not announced: "
                                     f"{found['hiddenLive']}")
    assert found["width"] <= found["viewport"], (
        f"{screen}: the page is {found['width']}px wide in a {found['viewport']}px viewport")


def test_screens_are_named_big_enough_and_announce_errors(page: Page, screenshot: Callable[..., Path]) -> None:
    page.goto("/m/")
    expect(page.get_by_label("用户名")).to_be_visible()
    audit(page, "login")
    page.get_by_label("用户名").fill("worker")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".login [role=alert]")).not_to_be_empty()  # the refusal is announced
    audit(page, "login refused")
    page.get_by_label("密码").fill("")
    screenshot(page, "01-login")
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
