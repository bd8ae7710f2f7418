"""The accessibility audit of one screen, shared by the browser tests: every visible control
has an accessible name, touch targets are at least 44x44 px, nothing overflows sideways, and
live regions are in the accessibility tree before they have something to say."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

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
    # a long form page mounts in steps (FormScreen.js): audit all of it, not the first screen
    page.wait_for_function("() => !document.querySelector('form.filler .fields[data-mounted=part]')")
    found: dict[str, Any] = page.evaluate(AUDIT, MIN_TARGET)
    assert not found["unnamed"], f"{screen}: controls without an accessible name: {found['unnamed']}"
    assert not found["small"], f"{screen}: touch targets under {MIN_TARGET}px: {found['small']}"
    assert not found["hiddenLive"], (f"{screen}: live regions hidden with display:none are not in the "
                                     f"accessibility tree, so what they say later is not announced: "
                                     f"{found['hiddenLive']}")
    assert found["width"] <= found["viewport"], (
        f"{screen}: the page is {found['width']}px wide in a {found['viewport']}px viewport")
