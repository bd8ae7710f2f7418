"""Webhook test helpers: a real HTTP receiver on the loopback, inline jobs on the test's sessions, a set clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.registry.conftest import far_worker, merge, sealer, user_named  # noqa: F401 - the registry's fixtures

WEBHOOKS = "/api/v1/webhooks"


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        """The body as JSON."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """An HTTP server in a thread that records every POST and answers what ``answer(event)`` says."""

    url: str
    received: list[Received] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], int] = lambda _event: 204

    def cursors(self) -> list[str]:
        """The event cursors in the order they arrived (every attempt)."""
        return [r.event["cursor"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiving endpoint on 127.0.0.1."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got = Received(self.path, {k: v for k, v in self.headers.items()}, body)
            state["r"].received.append(got)
            status = state["r"].answer(got.event)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()
    thread.join(5)


@dataclass
class Clock:
    """The job edge's clock, moved by hand."""

    now: datetime = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move on."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def app(settings: Any, engine: Any, maker: Any) -> Any:
    """The application with loopback webhook URLs allowed (the test-mode setting)."""
    from server.app import create_app

    application = create_app(settings.with_(webhooks_allow_private=True), engine=engine)
    application.extensions["gridreg"].sessionmaker = maker
    application.config["TESTING"] = True
    return application


@pytest.fixture
def hooks(app: Any, settings: Any, engine: Any, maker: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        tuple[Clock, list[float]]]:
    """Webhook jobs run inline on the test's transaction, on a set clock; retry waits are recorded, not slept."""
    from server import worker
    from server.webhooks import jobs

    clock = Clock()
    waits: list[float] = []
    monkeypatch.setattr(jobs, "clock", clock)
    monkeypatch.setattr(jobs, "start_timer", lambda delay, _run: waits.append(delay))
    before = worker._context
    worker.configure(settings.with_(webhooks_allow_private=True), engine, maker)
    yield clock, waits
    worker._context = before


def subscribe(client: Any, auth: Any, username: str, url: str, **body: Any) -> dict[str, Any]:
    """Register a webhook; the answer (with its secret)."""
    resp = client.post(WEBHOOKS, json={"url": url, **body}, headers=auth.headers(username))
    assert resp.status_code == 201, resp.get_json()
    created: dict[str, Any] = resp.get_json()
    return created
