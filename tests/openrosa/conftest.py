"""Fixtures that speak to /openrosa the way ODK Collect does."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock
from xml.etree import ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.http import http_date
from werkzeug.test import TestResponse

from server import worker
from server.accounts import basic_cache as basic_cache_module
from server.accounts.basic_cache import basic_cache
from server.demo import DEMO_PASSWORD
from server.forms import compiler
from server.settings import Settings

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
WORKBOOKS = ("registration", "household_visit", "follow_up", "move_out", "dispute_screening")
COLLECT_UA = "org.odk.collect.android/v2025.2.3 okhttp/4.12.0 Dalvik/2.1.0 (Linux; U; Android 13; SM-A145F)"
NS = {
    "xf": "http://openrosa.org/xforms/xformsList",
    "mf": "http://openrosa.org/xforms/xformsManifest",
    "or": "http://openrosa.org/http/response",
}


@cache
def _compiled(data: bytes, filename: str) -> compiler.CompiledForm:
    return compiler.compile_workbook(data, filename)


@pytest.fixture
def jobs_in_test_transaction(app: Flask, settings: Settings, engine: Engine,
                              maker: sessionmaker[Session]) -> Iterator[None]:
    """Inline jobs (validation, media) run on the test's connection and roll back with it."""
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


@pytest.fixture(autouse=True)
def _fresh_basic_cache() -> Iterator[None]:
    """Credentials verified in one test are not trusted in the next."""
    basic_cache().clear()
    yield
    basic_cache().clear()


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the argon2 verifications that the cache lets through."""
    calls: list[str] = []
    real = basic_cache_module.user_for_password

    def counting(session: Session, username: str, password: str, *rest: Any) -> Any:
        calls.append(username)
        return real(session, username, password, *rest)

    monkeypatch.setattr(basic_cache_module, "user_for_password", counting)
    return calls


def upload_and_publish(db: Session, *names: str) -> dict[str, Any]:
    """Upload and publish city workbooks; returns form_id -> published FormVersion."""
    from server.forms import service as forms_service

    published = {}
    # Each workbook is compiled once per run: the compiler has its own tests.
    with mock.patch.object(forms_service, "compile_workbook", lambda data, filename, **kw: _compiled(data, filename)):
        for name in names:
            result = forms_service.upload(db, None, (FORMS_DIR / f"{name}.xlsx").read_bytes(), f"{name}.xlsx")
            published[result.form_id] = forms_service.publish(db, None, result.form_id)
    db.commit()
    return published


@pytest.fixture
def published(db: Session) -> dict[str, Any]:
    """All five city forms, published."""
    return upload_and_publish(db, *WORKBOOKS)


def basic(username: str, password: str = DEMO_PASSWORD) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def collect_headers(username: str | None = "worker", password: str = DEMO_PASSWORD,
                    **extra: str) -> dict[str, str]:
    """The headers Collect sends (with credentials once it has been challenged)."""
    headers = {
        "X-OpenRosa-Version": "1.0",
        "User-Agent": COLLECT_UA,
        "Date": http_date(),
        "Accept-Encoding": "gzip",
    }
    if username is not None:
        headers["Authorization"] = basic(username, password)
    headers.update(extra)
    return headers


def multipart(xml: bytes, files: Iterable[tuple[str, bytes, str]] = (), *,
              incomplete: bool = False) -> tuple[bytes, str]:
    """A body framed as OkHttp's MultipartBody does for Collect; returns (body, content type)."""
    boundary = str(uuid.uuid4())
    parts = [("xml_submission_file", "submission.xml", "text/xml", xml), *((n, n, t, c) for n, c, t in files)]
    out = io.BytesIO()
    for name, filename, content_type, content in parts:
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode())
        out.write(f"Content-Type: {content_type}\r\nContent-Length: {len(content)}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    if incomplete:  # Collect marks every POST of a split upload but the last
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="*isIncomplete*"\r\n'
                  f"Content-Length: 3\r\n\r\nyes\r\n".encode())
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small, distinct JPEG photo."""
    out = io.BytesIO()
    Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, (seed * 20) % 256)).save(out, "JPEG")
    return out.getvalue()


def new_instance_id() -> str:
    """Collect's instanceID form."""
    return f"uuid:{uuid.uuid4()}"


def registration_version() -> str:
    """The version forms/registration.xlsx carries now."""
    return _compiled((FORMS_DIR / "registration.xlsx").read_bytes(), "registration.xlsx").version


def registration_xml(instance_id: str, *, version: str | None = None, photo: str | None = "1764356400123.jpg",
                     name: str = "阿依古丽", deprecated_id: str | None = None, form_id: str = "person_registration",
                     extra_children: int = 0) -> bytes:
    """A finalized person_registration instance as Collect writes it."""
    version = version or registration_version()
    photo_xml = f"<photo>{photo}</photo>" if photo else "<photo/>"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    children = "".join(
        f"<children><child_name>孩子{i}</child_name><child_sex>2</child_sex><child_birth_date>2018-03-0{i + 1}"
        f"</child_birth_date><child_status>with_parents</child_status><child_school_stage/><child_school_name/>"
        f"</children>" for i in range(extra_children))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{form_id}" version="{version}">'
        f"<identity><full_name>{name}</full_name><former_name/><id_number>650102199001011234</id_number>"
        f"<id_remainder/><id_check_char/><id_birth_date/><id_sex/><sex>2</sex><ethnicity>05</ethnicity>"
        f"<birth_date>1990-01-01</birth_date><phone>13800138000</phone>{photo_xml}</identity>"
        f"<origin><origin_province>65</origin_province><origin_prefecture>6501</origin_prefecture>"
        f"<origin_county>650102</origin_county><origin_division/><origin_address>乌鲁木齐市天山区</origin_address></origin>"
        f"<residence><arrival_date>2026-10-01</arrival_date><current_address>新郑市新建路1号</current_address>"
        f"<residence_type>rented</residence_type><location>34.4 113.74 110.0 8.0</location>"
        f"<permit_status>registered</permit_status></residence>"
        f"<work><reason>work</reason><reason_other/><occupation/><employer/></work>"
        f"<family><marital_status/>{children}<children_count>{extra_children}</children_count></family>"
        f"<needs_group><needs/><needs_other/><remarks/></needs_group>"
        f'<meta><entity dataset="persons" create="1" id="{uuid.uuid4()}"><label>{name}</label></entity>'
        f"<instanceID>{instance_id}</instanceID>{deprecated}<instanceName>{name}</instanceName></meta>"
        f"</data>"
    ).encode()


class Collect:
    """A client that behaves like ODK Collect against /openrosa."""

    def __init__(self, client: FlaskClient, username: str = "worker", password: str = DEMO_PASSWORD) -> None:
        self.client = client
        self.username = username
        self.password = password

    def headers(self, **extra: str) -> dict[str, str]:
        """Collect's headers with this user's credentials."""
        return collect_headers(self.username, self.password, **extra)

    def get(self, url: str, **extra: str) -> TestResponse:
        """A GET as Collect sends it."""
        return self.client.get(url, headers=self.headers(**extra))

    def head_submission(self) -> TestResponse:
        """Collect's pre-flight before sending."""
        return self.client.head("/openrosa/submission?deviceID=collect%3AQx1nB2dE", headers=self.headers())

    def post_submission(self, xml: bytes, files: Iterable[tuple[str, bytes, str]] = (), *,
                        incomplete: bool = False) -> TestResponse:
        """One submission POST (Collect does HEAD first, then POST)."""
        body, content_type = multipart(xml, files, incomplete=incomplete)
        return self.client.post("/openrosa/submission?deviceID=collect%3AQx1nB2dE", data=body,
                                headers=self.headers(**{"Content-Type": content_type}))


@pytest.fixture
def collect(client: FlaskClient, jobs_in_test_transaction: None) -> Collect:
    """Collect configured with the demo grid worker's account."""
    return Collect(client)


def parse(response: TestResponse) -> ET.Element:
    """The response's XML document."""
    return ET.fromstring(response.data)


def assert_openrosa(response: TestResponse, status: int) -> None:
    """The status, and the headers every OpenRosa answer carries."""
    assert response.status_code == status, response.data[:500]
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) == 10 * 1024 * 1024
    assert response.headers.get("Date")
    assert response.headers.get("Content-Language") in ("zh-CN", "en")
    if status not in (204,) and response.mimetype in ("text/xml", ""):
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"


def assert_error(response: TestResponse, status: int, code: str | None = None) -> ET.Element:
    """An OpenRosaResponse error envelope with the headers; returns its <message>."""
    assert_openrosa(response, status)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = parse(response)
    assert root.tag == f"{{{NS['or']}}}OpenRosaResponse"
    message = root.find("or:message", NS)
    assert message is not None and message.get("nature") == "error" and (message.text or "").strip()
    if code is not None:
        assert message.get("code") == code, message.attrib
    return message


SubmitFn = Callable[..., TestResponse]
