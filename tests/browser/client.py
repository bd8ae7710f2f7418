"""Driving the web client like a grid worker: log in, fill the registration form, watch the outbox.

Controls are found by the DOM ids the client derives from instance paths
(``/data/identity/full_name`` -> ``#q_data_identity_full_name``) and by their visible
Chinese labels; test_accessibility.py checks separately that every control has a name.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support.live_server import DEMO_PASSWORD

FORM_ID = "person_registration"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# Reads the client's IndexedDB outbox (app/idb.js: database 'gridreg', store 'outbox').
READ_OUTBOX = """() => new Promise((resolve, reject) => {
  const req = indexedDB.open('gridreg')
  req.onerror = () => reject(req.error)
  req.onsuccess = () => {
    const db = req.result
    if (!db.objectStoreNames.contains('outbox')) { db.close(); return resolve([]) }
    const all = db.transaction('outbox', 'readonly').objectStore('outbox').getAll()
    all.onerror = () => reject(all.error)
    all.onsuccess = () => {
      db.close()
      resolve(all.result.map((i) => ({ instanceID: i.instanceID, state: i.state, formId: i.formId, label: i.label,
        message: i.message, status: i.status, attempts: i.attempts || 0, files: Object.keys(i.files || {}),
        data: i.data, meta: i.meta })))
    }
  }
})"""


def resident_id(region: str, birth: str, sequence: str) -> str:
    """An 18-character resident ID number with its GB 11643 check character."""
    body = f"{region}{birth.replace('-', '')}{sequence}"
    assert len(body) == 17 and body.isdigit(), body
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def q(page: Page, path: str) -> Locator:
    """The control of a question by its path under /data ('identity/full_name')."""
    return page.locator("#q" + re.sub(r"[^A-Za-z0-9_-]", "_", f"/data/{path}"))


def jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A real JPEG photo (a gradient with a few shapes), made by Pillow."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(0, height, 8):
        draw.rectangle([0, y, width, y + 8], fill=(30 + y * 200 // height, 90, 160))
    draw.ellipse([width // 3, height // 4, 2 * width // 3, 3 * height // 4], fill=(230, 200, 170))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Person:
    """One migrant resident as the worker records them (values valid for the server's rules)."""

    name: str
    birth: str  # YYYY-MM-DD, also inside the ID number
    sequence: str  # three digits; the last is odd for men, even for women
    ethnicity: str = "回族"
    province: str = "64"  # 宁夏回族自治区 / 银川市 / 兴庆区
    prefecture: str = "6401"
    county: str = "640104"
    phone: str = "13800138000"
    arrival: str = "2025-03-01"
    address: str = "新郑市新建路街道人民路12号"
    residence: str = "租赁房"
    permit: str = "未登记"
    reason: str = "务工"
    marital: str = "已婚"
    needs: list[str] = field(default_factory=lambda: ["就业"])
    needs_other: str = ""
    children: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, 男/女, birth, stage

    @property
    def id_number(self) -> str:
        """Region code of the county, birth date, sequence and check character."""
        return resident_id(self.county, self.birth, self.sequence)

    @property
    def sex(self) -> str:
        """男 or 女, as the ID number says."""
        return "男" if int(self.sequence[-1]) % 2 else "女"


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the client, log in and wait for the form list."""
    page.goto("/m/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(form_link(page)).to_be_visible()


def form_link(page: Page, form_id: str = FORM_ID) -> Locator:
    """The form list's entry for a form."""
    return page.locator(f'a[href="#/form/{form_id}"]')


def progress(page: Page) -> Locator:
    """'第 i / n 页'."""
    return page.locator(".progress")


def open_form(page: Page, form_id: str = FORM_ID) -> None:
    """From anywhere: go to the form list and start a new record."""
    page.get_by_role("navigation").get_by_role("link", name="表单").click()
    form_link(page, form_id).click()
    expect(progress(page)).to_have_text(re.compile(r"第 1 / \d+ 页"))


def next_page(page: Page, expect_page: int) -> None:
    """Press 下一页 and wait until page expect_page shows."""
    page.get_by_role("button", name="下一页").click()
    expect(progress(page)).to_have_text(re.compile(rf"第 {expect_page} / \d+ 页"))


def radio(page: Page, path: str, label: str) -> None:
    """Pick a choice of a select_one shown as radio buttons (or a box of a select_multiple)."""
    q(page, path).get_by_label(label, exact=True).check()


def fill_identity(page: Page, person: Person, photo: Path | None = None) -> None:
    """Page 1: name, ID number, sex, ethnic group, birth date, phone, photo."""
    q(page, "identity/full_name").fill(person.name)
    q(page, "identity/id_number").fill(person.id_number)
    radio(page, "identity/sex", person.sex)
    page.locator('input.filter[aria-controls="q_data_identity_ethnicity"]').fill(person.ethnicity)
    radio(page, "identity/ethnicity", person.ethnicity)
    q(page, "identity/birth_date").fill(person.birth)
    q(page, "identity/phone").fill(person.phone)
    if photo is not None:
        q(page, "identity/photo").set_input_files(str(photo))
        expect(page.locator("img.preview")).to_be_visible()  # downscaled on the phone and kept as a Blob
        expect(page.get_by_text("重拍")).to_be_visible()


def fill_origin(page: Page, person: Person) -> None:
    """Page 2: the province / prefecture / county cascade of the registered residence."""
    q(page, "origin/origin_province").select_option(person.province)
    q(page, "origin/origin_prefecture").select_option(person.prefecture)  # relevant once a province is chosen
    q(page, "origin/origin_county").select_option(person.county)  # filtered by the prefecture
    q(page, "origin/origin_address").fill("宁夏银川市兴庆区")


def fill_residence(page: Page, person: Person, locate: bool = False) -> None:
    """Page 3: arrival date, address, residence type, GPS fix and permit."""
    q(page, "residence/arrival_date").fill(person.arrival)
    q(page, "residence/current_address").fill(person.address)
    radio(page, "residence/residence_type", person.residence)
    if locate:
        q(page, "residence/location").get_by_role("button", name="获取位置").click()
        expect(q(page, "residence/location").locator(".geo-value")).to_have_text("34.400000, 113.740000")
        expect(q(page, "residence/location")).to_contain_text("精度约 ±8 米")
    radio(page, "residence/permit_status", person.permit)


def fill_work(page: Page, person: Person) -> None:
    """Page 4: reason for coming and work."""
    radio(page, "work/reason", person.reason)
    q(page, "work/employer").fill("新郑市某食品厂")


def fill_family(page: Page, person: Person) -> None:
    """Page 5: marital status and children (the repeat starts empty; one entry per child)."""
    radio(page, "family/marital_status", person.marital)
    for i, (name, sex, birth, stage) in enumerate(person.children, start=1):
        page.get_by_role("button", name="添加一组：子女").click()
        child = f"family/children[{i}]/"
        q(page, child + "child_name").fill(name)
        radio(page, child + "child_sex", sex)
        q(page, child + "child_birth_date").fill(birth)
        radio(page, child + "child_status", "随迁")
        radio(page, child + "child_school_stage", stage)
        q(page, child + "child_school_name").fill("新郑市第一小学")  # relevant for 学前…高中
    expect(page.locator("fieldset.entry")).to_have_count(len(person.children))


def fill_needs(page: Page, person: Person) -> None:
    """Page 6: needs, and 'other needs' when 其他 is ticked."""
    for need in person.needs:
        radio(page, "needs_group/needs", need)
    if person.needs_other:
        q(page, "needs_group/needs_other").fill(person.needs_other)


def register(page: Page, person: Person, photo: Path | None = None, locate: bool = False) -> str:
    """Fill the whole registration form, finish it into the outbox; returns its instanceID."""
    open_form(page)
    fill_identity(page, person, photo)
    next_page(page, 2)
    fill_origin(page, person)
    next_page(page, 3)
    fill_residence(page, person, locate)
    next_page(page, 4)
    fill_work(page, person)
    next_page(page, 5)
    fill_family(page, person)
    next_page(page, 6)
    fill_needs(page, person)
    finish_into_outbox(page)
    title = f"登记-{person.name}"
    item = next((i for i in outbox(page) if i["label"] == title), None)
    assert item is not None, f"{title} is not in the outbox: {outbox(page)}"
    return str(item["instanceID"])


def finish_into_outbox(page: Page) -> None:
    """Press 完成并放入发送箱 on the last page and wait for the outbox."""
    page.get_by_role("button", name="完成并放入发送箱").click()
    page.wait_for_url(re.compile(r"#/outbox$"))


def page_through_and_finish(page: Page, pages: int = 6) -> None:
    """From page 1 of an open form, go to each next page (each must pass its checks), then finish into the outbox."""
    for n in range(2, pages + 1):
        next_page(page, n)
    finish_into_outbox(page)


def outbox(page: Page) -> list[dict[str, Any]]:
    """Every outbox item as stored in IndexedDB."""
    return list(page.evaluate(READ_OUTBOX))


def outbox_states(page: Page) -> dict[str, str]:
    """instanceID -> state."""
    return {i["instanceID"]: i["state"] for i in outbox(page)}


HAS_KV = """(key) => new Promise((resolve) => {
  const req = indexedDB.open('gridreg')
  req.onerror = () => resolve(false)
  req.onsuccess = () => {
    const db = req.result
    const get = db.transaction('kv', 'readonly').objectStore('kv').get(key)
    get.onsuccess = () => { db.close(); resolve(get.result !== undefined && get.result !== null) }
    get.onerror = () => { db.close(); resolve(false) }
  }
})"""


def wait_for_form_cached(page: Page, form_id: str = FORM_ID, timeout_s: float = 20) -> None:
    """Until the form list's prefetch has stored the form's definition for offline use."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(HAS_KV, f"form:{form_id}"):  # evaluate awaits the promise; wait_for_function does not
        assert time.monotonic() < deadline, f"form {form_id} was not stored for offline use within {timeout_s:.0f} s"
        page.wait_for_timeout(100)


def wait_for_service_worker(page: Page) -> None:
    """Until the service worker has precached the shell and controls the page."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
