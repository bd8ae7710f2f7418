"""Every answer under /openrosa, errors included, is an OpenRosa answer."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.settings import Settings
from tests.openrosa.conftest import NS, assert_error, assert_openrosa, collect_headers, parse


def test_head_submission_is_204_with_the_headers(client: FlaskClient) -> None:
    response = client.head("/openrosa/submission", headers=collect_headers("worker"))
    assert_openrosa(response, 204)
    assert response.data == b""


def test_unauthenticated_head_asks_for_basic_credentials(client: FlaskClient) -> None:
    response = client.head("/openrosa/submission", headers=collect_headers(None))
    assert_openrosa(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="gridreg"'


@pytest.mark.parametrize("url", ["/openrosa/formList", "/openrosa/forms/x/form.xml", "/openrosa/forms/x/manifest"])
def test_unauthenticated_gets_are_401_envelopes(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers=collect_headers(None))
    message = assert_error(response, 401, "auth.required")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="gridreg"'
    assert message.text == "需要登录"


@pytest.mark.parametrize("authorization", ["Basic d29ya2VyOndyb25n", "Basic !!!", "Basic bm9jb2xvbg==",
                                           "Bearer not-a-token", "Digest x"])
def test_bad_credentials_are_401(client: FlaskClient, authorization: str) -> None:
    response = client.post("/openrosa/submission", headers=collect_headers(None, Authorization=authorization))
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="gridreg"'


def test_english_when_asked(client: FlaskClient) -> None:
    response = client.get("/openrosa/formList", headers=collect_headers(None, **{"Accept-Language": "en-US"}))
    assert assert_error(response, 401).text == "Authentication required"
    assert response.headers["Content-Language"] == "en"
    zh = client.get("/openrosa/formList", headers=collect_headers(None, **{"Accept-Language": "zh-CN"}))
    assert zh.headers["Content-Language"] == "zh-CN"


def test_unknown_paths_are_404_envelopes(client: FlaskClient) -> None:
    assert_error(client.get("/openrosa/nothing-here", headers=collect_headers("worker")), 404, "not_found")
    assert_error(client.get("/openrosa", headers=collect_headers("worker")), 404, "not_found")


def test_wrong_methods_are_405_envelopes(client: FlaskClient) -> None:
    response = client.get("/openrosa/submission", headers=collect_headers("worker"))
    assert_error(response, 405, "request.method_not_allowed")
    assert "POST" in response.headers["Allow"]
    assert_error(client.post("/openrosa/formList", headers=collect_headers("worker")), 405)


def test_department_accounts_may_not_submit(client: FlaskClient) -> None:
    assert_openrosa(client.head("/openrosa/submission", headers=collect_headers("police")), 403)
    assert_error(client.post("/openrosa/submission", headers=collect_headers("police")), 403,
                 "openrosa.not_a_filler")


def test_unexpected_errors_are_500_envelopes(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.openrosa import service

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "fillable_versions", boom)
    response = client.get("/openrosa/formList", headers=collect_headers("worker"))
    message = assert_error(response, 500, "internal")
    assert "boom" not in (message.text or "")


def test_malformed_posts_are_400(client: FlaskClient) -> None:
    headers = collect_headers("worker")
    assert_error(client.post("/openrosa/submission", headers=headers, data=b"<x/>",
                             content_type="text/xml"), 400, "submission.not_multipart")
    assert_error(client.post("/openrosa/submission", headers=headers, data={"other": "x"},
                             content_type="multipart/form-data"), 400, "submission.no_xml")


def test_too_large_is_413_before_reading(settings: Settings, client: FlaskClient) -> None:
    body = b"x" * (10 * 1024 * 1024 + 300 * 1024)
    response = client.post("/openrosa/submission", headers=collect_headers("worker"), data=body,
                           content_type="multipart/form-data; boundary=b")
    assert_error(response, 413, "request.too_large")


def test_a_post_as_large_as_advertised_is_read(client: FlaskClient) -> None:
    """Collect fills a POST up to X-OpenRosa-Accept-Content-Length; multipart framing on top is allowed."""
    body = b"--b\r\nContent-Disposition: form-data; name=\"pad\"; filename=\"pad.bin\"\r\n\r\n"
    body += b"x" * (10 * 1024 * 1024) + b"\r\n--b--\r\n"
    response = client.post("/openrosa/submission", headers=collect_headers("worker"), data=body,
                           content_type="multipart/form-data; boundary=b")
    assert_error(response, 400, "submission.no_xml")


def test_the_json_api_keeps_json_errors(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.get_json()["error"] == "auth.required"
    assert "X-OpenRosa-Version" not in response.headers


def test_error_bodies_parse_with_the_namespace(client: FlaskClient) -> None:
    root = parse(client.get("/openrosa/formList"))
    assert root.find("or:message", NS) is not None
