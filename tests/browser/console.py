"""Driving the supervisors' console, and the API calls a grid worker's phone would make.

The console is found by its visible Chinese labels and roles, as a supervisor sees it. Records a
test needs in the registry are sent as a grid worker's JSON submissions (the phone client's own
flow is driven in test_offline_flow.py and test_edit.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page

from tests.browser.client import ID_WEIGHTS, resident_id
from tests.support.live_server import DEMO_PASSWORD, LiveServer

FORM_ID = "person_registration"
CHECK = "10X98765432"


def console_login(page: Page, username: str = "supervisor", password: str = DEMO_PASSWORD) -> None:
    """Open the console and log in; a supervisor lands on the review queue."""
    page.goto("/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def registration(name: str, birth: str, sequence: str, *, phone: str = "13812345678", county: str = "640104",
                 address: str = "新郑市新建路街道人民路12号", location: str = "34.4 113.74 0 6") -> dict[str, Any]:
    """A registration's data tree that passes every rule of the city's form (no photo)."""
    id_number = resident_id(county, birth, sequence)
    remainder = sum(int(d) * w for d, w in zip(id_number[:17], ID_WEIGHTS, strict=True)) % 11
    sex = "1" if int(sequence[-1]) % 2 else "2"
    return {
        "identity": {"full_name": name, "id_number": id_number, "id_remainder": str(remainder),
                     "id_check_char": CHECK[remainder], "id_birth_date": birth, "id_sex": sex, "sex": sex,
                     "ethnicity": "03", "birth_date": birth, "phone": phone},
        "origin": {"origin_province": county[:2], "origin_prefecture": county[:4], "origin_county": county,
                   "origin_division": county, "origin_address": "宁夏银川市兴庆区"},
        "residence": {"arrival_date": "2026-03-01", "current_address": address, "residence_type": "rented",
                      "permit_status": "registered", "location": location},
        "work": {"reason": "01", "occupation": "4"},
        "family": {"marital_status": "20", "children_count": "0"},
        "needs_group": {"needs": "employment"},
    }


def form_version(server: LiveServer, form_id: str = FORM_ID) -> str:
    """The published version of a form."""
    status, form = server.request("GET", f"/api/v1/forms/{form_id}", user="worker")
    assert status == 200, form
    return str(form["version"])


def submit(server: LiveServer, data: dict[str, Any], *, deprecated_id: str | None = None,
           user: str = "worker", form_id: str = FORM_ID, files: dict[str, bytes] | None = None) -> str:
    """Send a submission as the worker's phone would (multipart with its photos); returns its instance id."""
    instance_id = f"uuid:{uuid.uuid4()}"
    payload: dict[str, Any] = {"instance_id": instance_id, "form_version": form_version(server, form_id),
                               "data": data, "meta": {"device_id": "web:console-test",
                                                      "start": "2026-12-07T09:00:00+08:00",
                                                      "end": "2026-12-07T09:10:00+08:00"}}
    if deprecated_id:
        payload["deprecated_id"] = deprecated_id
    if isinstance(data.get("meta"), dict):  # the form's own meta names this instance (and what it replaces)
        data["meta"] = {**data["meta"], "instanceID": instance_id,
                        **({"deprecatedID": deprecated_id} if deprecated_id else {})}
    boundary = uuid.uuid4().hex
    parts = [("submission", "submission.json", "application/json", json.dumps(payload, ensure_ascii=False).encode()),
             *((name, name, "image/jpeg", content) for name, content in (files or {}).items())]
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                    f"Content-Type: {kind}\r\n\r\n".encode() + content + b"\r\n"
                    for name, filename, kind, content in parts) + f"--{boundary}--\r\n".encode()
    status, answer = server.request("POST", f"/api/v1/forms/{form_id}/submissions", user=user, data=body,
                                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status in (200, 201), (status, answer)
    return instance_id


def review(server: LiveServer, instance_id: str, state: str, comment: str | None = None,
           user: str = "supervisor") -> dict[str, Any]:
    """Decide a submission through the API with the ETag of a fresh read (a second reviewer's tab)."""
    url = f"{server.url}/api/v1/submissions/{quote(instance_id, safe='')}"
    auth = {"Authorization": f"Bearer {server.token(user)}", "Accept": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=auth), timeout=30) as resp:
        etag = resp.headers["ETag"]
    body = json.dumps({"review_state": state, **({"comment": comment} if comment else {})}).encode()
    req = urllib.request.Request(url, data=body, method="PATCH",
                                 headers={**auth, "Content-Type": "application/json", "If-Match": etag})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as err:
        raise AssertionError(f"review {state} of {instance_id}: {err.code} {err.read()!r}") from err


def candidate_between(server: LiveServer, name_a: str, name_b: str, timeout_s: float = 20) -> dict[str, Any]:
    """The open duplicate candidate pairing two records by their labels (waits for dedup to propose it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, page = server.request("GET", "/api/v1/registry/persons/duplicates?limit=200", user="supervisor")
        assert status == 200, page
        for cand in page["items"]:
            if {cand["a"]["label"], cand["b"]["label"]} == {name_a, name_b}:
                return dict(cand)
        assert time.monotonic() < deadline, f"no duplicate candidate {name_a} / {name_b}: {page['items']}"
        time.sleep(0.3)


def submission_href(instance_id: str) -> str:
    """The console's link to a submission (as encodeURIComponent writes it)."""
    return "#/submission/" + quote(instance_id, safe="")
