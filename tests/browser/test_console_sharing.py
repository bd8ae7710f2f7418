"""The console's data-sharing screens at 1366x768, end to end against the real service.

An admin exports the persons dataset as CSV, watches it finish and downloads the file; uploads
a department's CSV and reads the report (created rows, the refused row with its number and
reason); the police department registers a webhook to a real receiver on the loopback that
fails at first, sees the dead letter (the live service gives up after one attempt) and replays
it with the button once the receiver works. Each screen passes the shared accessibility audit
and is saved to tests/artifacts/screenshots/console/sharing-*.png.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import audit
from tests.browser.console import console_login
from tests.support.live_server import LiveServer

Shot = Callable[[Page, str], Path]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


@pytest.fixture
def receiver() -> Iterator[dict[str, Any]]:
    """A webhook receiver on 127.0.0.1 answering ``state['status']`` and keeping the events it got."""
    state: dict[str, Any] = {"status": 500, "events": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state["events"].append((state["status"], json.loads(body)))
            self.send_response(state["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/gridreg"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _persons_csv(*rows: list[str]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["full_name", "resident_id", "sex", "ethnicity", "birth_date", "origin_county", "arrival_date",
                     "current_address", "lon", "lat"])
    writer.writerows(rows)
    return out.getvalue().encode("gb18030")


def _imported(live_server: LiveServer, data: bytes, source: str) -> None:
    """Import a file through the API as the admin and wait for it to finish."""
    boundary = uuid.uuid4().hex
    parts = [("dataset", "", b"persons"), ("source", "", source.encode()), ("file", '; filename="p.csv"', data)]
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'.encode() + value + b"\r\n"
        for name, filename, value in parts) + f"--{boundary}--\r\n".encode()
    status, accepted = live_server.request("POST", "/api/v1/imports", user="admin", data=body,
                                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 202, accepted
    for _ in range(100):
        status, state = live_server.request("GET", f"/api/v1/imports/{accepted['id']}", user="admin")
        if state["status"] not in ("queued", "running"):
            break
        time.sleep(0.2)
    assert state["status"] == "done", state


def test_an_admin_exports_persons_and_downloads_the_file(console_page: Page, live_server: LiveServer,
                                                         console_screenshot: Shot) -> None:
    _imported(live_server, _persons_csv(["马秀兰", _id("64010419880304022"), "2", "03", "1988-03-04", "640104",
                                         "2026-03-01", "和庄镇幸福路21号", "113.74", "34.40"]), "export-test")
    page = console_page
    console_login(page, "admin")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="数据导出").click()
    expect(page.get_by_role("heading", name="数据导出", level=1)).to_be_visible()
    page.get_by_label("数据集").select_option("persons")
    page.get_by_label("文件格式").select_option("csv")
    page.get_by_role("button", name="开始导出").click()
    expect(page.locator(".job-progress")).to_have_attribute("data-status", "done")
    expect(page.get_by_role("progressbar", name="进度")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="下载文件").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfuuid,label,") and "马秀兰".encode() in data  # Excel-safe CSV, UTF-8
    rows = len(data.decode("utf-8-sig").splitlines()) - 1
    expect(page.locator(".job-progress")).to_contain_text(f"已处理 {rows} / {rows} 行")
    audit(page, "export screen")
    console_screenshot(page, "sharing-exports")


def test_an_admin_imports_a_file_and_reads_the_report(console_page: Page, live_server: LiveServer,
                                                      console_screenshot: Shot) -> None:
    data = _persons_csv(["白玉洁", _id("64010419900101031"), "2", "03", "1990-01-01", "640104", "2026-03-01",
                         "和庄镇幸福路3号", "113.74", "34.40"],
                        ["马成", "640104199001010000", "1", "03", "1990-01-01", "640104", "2026-03-01",
                         "和庄镇幸福路4号", "113.74", "34.40"])
    page = console_page
    console_login(page, "admin")
    page.goto("/console/#/imports")
    expect(page.get_by_role("heading", name="批量导入", level=1)).to_be_visible()
    page.get_by_label("数据来源（如 police-platform）").fill("police-platform")
    page.get_by_label("文件（CSV 或 XLSX）").set_input_files(
        {"name": "police.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator(".job-progress")).to_have_attribute("data-status", "done")
    report = page.get_by_role("region", name="导入报告")
    expect(report.locator("[data-outcome=created]")).to_have_text("1")
    expect(report.locator("[data-outcome=refused]")).to_have_text("1")
    expect(report.locator(".refused-rows tbody tr")).to_have_count(1)
    expect(report.locator(".refused-rows tbody tr td").first).to_have_text("3")
    expect(report.locator(".refused-rows tbody tr td").nth(1)).to_contain_text("resident_id：")
    audit(page, "import screen")
    console_screenshot(page, "sharing-imports")


def test_a_department_replays_a_dead_letter_from_the_webhooks_screen(
        console_page: Page, live_server: LiveServer, receiver: dict[str, Any], console_screenshot: Shot) -> None:
    _imported(live_server, _persons_csv(["马丽娟", _id("64010419920815042"), "2", "03", "1992-08-15", "640104",
                                         "2026-03-01", "和庄镇幸福路42号", "113.74", "34.40"]), "webhook-test")
    page = console_page
    console_login(page, "police")
    expect(page.get_by_role("heading", name="本部门事项")).to_be_visible()  # a department opens on its cases
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="数据推送").click()
    expect(page.get_by_role("heading", name="数据推送", level=1)).to_be_visible()
    page.get_by_label("接收地址（https://）").fill(receiver["url"])
    page.get_by_label("说明").fill("公安流动人口平台")
    page.get_by_role("button", name="登记推送").click()
    expect(page.locator(".secret-once code.secret")).to_contain_text("whsec_")
    row = page.locator("tr[data-webhook]").filter(has_text=receiver["url"])
    expect(row.locator("[data-dead]")).not_to_have_text("0")
    assert receiver["events"] and all(status == 500 for status, _ in receiver["events"])
    seen = -1  # the sender works through the whole feed (one attempt each here): let it finish
    while len(receiver["events"]) != seen:
        seen = len(receiver["events"])
        page.wait_for_timeout(2000)
    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("link", name="数据导出").click()
    menu.get_by_role("link", name="数据推送").click()
    expect(row.locator("[data-dead]")).to_have_text(str(seen))
    row.get_by_role("button", name=f"查看失败推送 {receiver['url']}").click()
    letters = page.get_by_role("region", name=f"失败的推送：{receiver['url']}")
    expect(letters.locator("tr[data-delivery]").first).to_be_visible()
    audit(page, "webhooks screen with dead letters")
    console_screenshot(page, "sharing-webhooks")
    receiver["status"] = 200
    dead = seen
    letters.locator("tr[data-delivery]").first.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("已重新排队 1 条推送")
    expect(row.locator("td").nth(4)).to_have_text("1")  # delivered
    expect(row.locator("[data-dead]")).to_have_text(str(dead - 1))
    assert receiver["events"][-1][0] == 200
    console_screenshot(page, "sharing-webhooks-replayed")
