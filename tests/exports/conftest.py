"""Export and feed test helpers: inline jobs on the test's sessions, and a driver that exports and downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.registry.conftest import far_worker, merge, sealer, user_named  # noqa: F401 - the registry's fixtures

EXPORTS = "/api/v1/exports"


@pytest.fixture
def export_jobs(app: Any, settings: Any, engine: Any, maker: Any) -> Iterator[None]:
    """Export jobs run inline after commit, on (and rolled back with) the test's transaction."""
    from server import worker

    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


def export(client: Any, auth: Any, username: str, **body: Any) -> tuple[dict[str, Any], bytes]:
    """Request an export, read its finished state and download its file."""
    resp = client.post(EXPORTS, json=body, headers=auth.headers(username))
    assert resp.status_code == 202, resp.get_json()
    accepted = resp.get_json()
    assert set(accepted) == {"id", "status"}
    state = client.get(f"{EXPORTS}/{accepted['id']}", headers=auth.headers(username)).get_json()
    assert state["status"] == "done", state
    got = client.get(state["download_url"], headers=auth.headers(username))
    assert got.status_code == 200
    data = got.data
    got.close()
    return state, data
