"""Authentication comes before anything else: every non-public endpoint answers 401 to a stranger.

Whatever the path parameters name (a dataset, a candidate or a form that does not exist, a number
too large for the database, text where a number belongs), whatever the body holds, a request
without credentials or with garbage ones learns nothing but "log in". A new endpoint is covered the
day it is added; one that must answer strangers is listed in PUBLIC and says why.
"""

from __future__ import annotations

import base64
import itertools
import json

import pytest
from werkzeug.routing import Rule

from server.accounts.auth import PROTECTED_PREFIXES

# (rule, method) -> why a stranger may call it
PUBLIC = {
    ("/api/v1/auth/token", "POST"): "logging in is how a stranger gets a token",
}
# endpoints outside the protected prefixes -> why they hold nothing that needs a login
OUTSIDE = {
    "/": "redirect to the web client",
    "/healthz": "process probe",
    "/readyz": "dependency probe",
    "/api/docs": "API documentation",
    "/api/openapi.json": "API description",
    "/static/<path:filename>": "documentation assets",
    "/m/": "the web client's shell, which logs in itself",
    "/m/<path:path>": "the web client's static files",
    "/console/": "the console's shell, which logs in itself",
    "/console/<path:path>": "the console's static files",
    "/console/config.json": "the base map's tile settings, which a city publishes with its tiles",
}
# Garbage for each converter: names of nothing, a number past any column, text where a number belongs.
GARBAGE = {
    "UnicodeConverter": ["no-such-thing", "%00", "9" * 40],
    "PathConverter": ["no/such/thing"],
    "IntegerConverter": ["99999999999999999999999", "0", "not-a-number"],
}
_strangers = itertools.count()


def _basic_stranger() -> dict[str, str]:
    """Basic credentials of a new unknown name each time (one name would soon be locked out: 429)."""
    return {"Authorization": "Basic " + base64.b64encode(f"nobody-{next(_strangers)}:wrong".encode()).decode()}


GARBAGE_CREDENTIALS = {
    "no token": dict,
    "garbage bearer": lambda: {"Authorization": "Bearer garbage-" + "x" * 40},
    "empty bearer": lambda: {"Authorization": "Bearer "},
    "garbage scheme": lambda: {"Authorization": "Token abc"},
    "garbage basic": _basic_stranger,
    "undecodable basic": lambda: {"Authorization": "Basic %%%"},
}
BODY = json.dumps({"survivor": "x", "properties": {}, "username": "a", "password": "b"})


def _rules(app) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def _urls(rule: Rule) -> list[str]:
    """The rule's URL with every garbage value of each parameter (one parameter varied at a time)."""
    names = list(rule.arguments)
    base = {name: GARBAGE[type(rule._converters[name]).__name__][0] for name in names}
    variants = [base]
    for name in names:
        for value in GARBAGE[type(rule._converters[name]).__name__][1:]:
            variants.append({**base, name: value})
    urls = []
    for values in variants:
        url = rule.rule
        for name in names:
            converter = type(rule._converters[name]).__name__
            marker = {"UnicodeConverter": "string:", "IntegerConverter": "int:", "PathConverter": "path:"}[converter]
            url = url.replace(f"<{marker}{name}>", values[name]).replace(f"<{name}>", values[name])
        urls.append(url)
    return urls


def _protected(rule: Rule) -> bool:
    return rule.rule.startswith(PROTECTED_PREFIXES)


def test_every_endpoint_is_protected_or_says_why_not(app):
    rules = _rules(app)
    outside = {r.rule for r in rules if not _protected(r)}
    assert outside == set(OUTSIDE), f"endpoints outside {PROTECTED_PREFIXES} must say why: {sorted(outside)}"
    public = {(r.rule, m) for r in rules if _protected(r) for m in r.methods or ()} & PUBLIC.keys()
    assert public == PUBLIC.keys()


@pytest.mark.parametrize("credentials", GARBAGE_CREDENTIALS)
def test_strangers_get_401_everywhere(app, client, credentials):
    seen = 0
    for rule in _rules(app):
        if not _protected(rule):
            continue
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            if (rule.rule, method) in PUBLIC:
                continue
            for url in _urls(rule):
                headers = {**GARBAGE_CREDENTIALS[credentials](), "Content-Type": "application/json"}
                resp = client.open(url, method=method, data=BODY, headers=headers)
                assert resp.status_code == 401, (credentials, method, url, resp.status_code, resp.data[:200])
                seen += 1
    assert seen > 50


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/registry/x/duplicates/1/nope", "/openrosa/nope"])
def test_unknown_protected_urls_ask_for_a_login_first(client, path):
    assert client.get(path).status_code == 401
    assert client.put("/api/v1/me").status_code == 401  # a wrong method too: nothing is said before a login


def test_the_public_endpoint_still_answers_strangers(client):
    resp = client.post("/api/v1/auth/token", json={"username": "worker", "password": "wrong"},
                       headers=GARBAGE_CREDENTIALS["garbage bearer"]())
    assert resp.status_code == 401 and resp.get_json()["error"] == "auth.invalid_credentials"
    for path in OUTSIDE:
        if "<" not in path:
            resp = client.get(path)
            assert resp.status_code in (200, 302), path
            resp.close()


def test_a_valid_token_reaches_the_endpoint(client, auth):
    resp = client.post("/api/v1/registry/no-such-dataset/duplicates/1/merge", json={},
                       headers=auth.headers("supervisor"))
    assert resp.status_code in (404, 422), resp.get_json()
