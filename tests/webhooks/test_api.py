"""Registering webhooks: who may, which URLs are refused and with which codes."""

from __future__ import annotations

import pytest

from server.app import create_app
from server.webhooks import addresses
from server.webhooks.addresses import WebhookUrlError, check_url
from tests.conftest import Auth
from tests.webhooks.conftest import WEBHOOKS, subscribe


@pytest.mark.parametrize(("url", "code"), [
    ("https://127.0.0.1/hook", "webhook.url_private"),
    ("https://localhost:8443/hook", "webhook.url_private"),
    ("https://10.1.2.3/hook", "webhook.url_private"),
    ("https://192.168.1.10/hook", "webhook.url_private"),
    ("https://169.254.169.254/latest/meta-data", "webhook.url_private"),
    ("https://[::1]/hook", "webhook.url_private"),
    ("https://[fe80::1]/hook", "webhook.url_private"),
    ("https://[::ffff:10.0.0.1]/hook", "webhook.url_private"),
    ("http://8.8.8.8/hook", "webhook.url_not_https"),
    ("ftp://8.8.8.8/hook", "webhook.url_invalid"),
    ("not a url", "webhook.url_invalid"),
    ("https://user:pw@8.8.8.8/hook", "webhook.url_invalid"),
    ("https://8.8.8.8:99999/hook", "webhook.url_invalid"),
    ("https://no-such-host.invalid/hook", "webhook.url_unresolvable"),
])
def test_urls_refused_outside_test_mode(url, code):
    with pytest.raises(WebhookUrlError) as caught:
        check_url(url, allow_private=False)
    assert (caught.value.status, caught.value.code) == (422, code)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda _host, _port: ["203.0.113.9", "10.0.0.7"])
    with pytest.raises(WebhookUrlError) as caught:
        check_url("https://hooks.example.com/x", allow_private=False)
    assert caught.value.code == "webhook.url_private"
    monkeypatch.setattr(addresses, "resolve", lambda _host, _port: ["8.8.4.4"])
    assert check_url(" https://hooks.example.com/x ", allow_private=False) == "https://hooks.example.com/x"


def test_the_api_refuses_a_loopback_url_when_the_setting_is_off(settings, engine, maker):
    app = create_app(settings, engine=engine)  # the default: webhooks_allow_private off
    app.extensions["gridreg"].sessionmaker = maker
    client = app.test_client()
    resp = client.post(WEBHOOKS, json={"url": "https://127.0.0.1:9/hook"}, headers=Auth(client).headers("police"))
    body = resp.get_json()
    assert (resp.status_code, body["error"], body["errors"]) == (422, "webhook.url_private",
                                                                 {"url": ["private_address"]})


def test_who_may_register_and_see_webhooks(client, auth, receiver, hooks):
    assert client.post(WEBHOOKS, json={"url": receiver.url}, headers=auth.headers("supervisor")).status_code == 403
    assert client.get(WEBHOOKS, headers=auth.headers("worker")).status_code == 403
    resp = client.post(WEBHOOKS, json={"url": receiver.url}, headers=auth.headers("admin"))
    assert (resp.status_code, resp.get_json()["error"]) == (422, "webhook.account_required")
    resp = client.post(WEBHOOKS, json={"url": receiver.url, "account": "supervisor"}, headers=auth.headers("admin"))
    assert (resp.status_code, resp.get_json()["error"]) == (422, "webhook.account_not_department")
    resp = client.post(WEBHOOKS, json={"url": receiver.url, "account": "hrss"}, headers=auth.headers("police"))
    assert (resp.status_code, resp.get_json()["error"]) == (403, "webhook.forbidden")
    resp = client.post(WEBHOOKS, json={"url": 42}, headers=auth.headers("police"))
    assert resp.status_code == 422
    police = subscribe(client, auth, "admin", receiver.url, account="police")
    assert police["account"] == "police"
    assert [s["id"] for s in client.get(WEBHOOKS, headers=auth.headers("police")).get_json()["items"]] == [police["id"]]
    assert client.get(WEBHOOKS, headers=auth.headers("hrss")).get_json()["items"] == []
    resp = client.get(f"{WEBHOOKS}/{police['id']}", headers=auth.headers("hrss"))
    assert (resp.status_code, resp.get_json()["error"]) == (404, "webhook.not_found")
    assert client.post(f"{WEBHOOKS}/{police['id']}/replay", headers=auth.headers("hrss")).status_code == 404
    resp = client.get(f"{WEBHOOKS}/{police['id']}/deliveries", query_string={"status": "lost"},
                      headers=auth.headers("police"))
    assert (resp.status_code, resp.get_json()["error"]) == (422, "webhook.bad_status")
    resp = client.get(f"{WEBHOOKS}/{police['id']}/deliveries", query_string={"cursor": "!!"},
                      headers=auth.headers("police"))
    assert (resp.status_code, resp.get_json()["error"]) == (400, "request.bad_cursor")
    audit = client.get("/api/v1/audit", query_string={"action": "webhook.created"}, headers=auth.headers("admin"))
    assert audit.status_code == 200 and audit.get_json()["items"][0]["detail"]["account"] == "police"
