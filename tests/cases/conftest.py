"""Case test helpers: the registry's merge driver, a fixed city day, and cases opened through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.api import CLOCK_KEY
from server.audit.models import AuditEvent
from tests.registry.conftest import merge, neighbour, sealer, user_named  # noqa: F401  (fixtures)

# 2026-12-07 01:30 in Shanghai is still 2026-12-06 in UTC: the city's day must win.
NOW = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)
TODAY = "2026-12-07"
CASES = "/api/v1/cases"

# A follow-up opened by a submission, with the case properties the tests route on.
CASE_BLOCK = {
    "dataset": "followups",
    "label": "${title}",
    "save_to": {k: k for k in ("person", "title", "kind", "status", "department", "dispute_type", "due_date",
                               "notes")},
}


@pytest.fixture(autouse=True)
def fixed_day(app: Any) -> None:
    """The cases API counts days from this clock, not the machine's."""
    app.config[CLOCK_KEY] = lambda: NOW


OpenCase = Callable[..., dict[str, Any]]


@pytest.fixture
def open_case(client: Any, auth: Any) -> OpenCase:
    """Open a case through the API as ``user``; the response body (asserting 201)."""

    def run(person: str, *, user: str = "supervisor", **body: Any) -> dict[str, Any]:
        payload = {"person": person, "kind": "appeal", "department": "hrss", "title": "拖欠工资", **body}
        resp = client.post(CASES, json=payload, headers=auth.headers(user))
        assert resp.status_code == 201, resp.get_json()
        return dict(resp.get_json())

    return run


def audit_rows(db: Session, action: str, target_id: str | None = None) -> list[AuditEvent]:
    """Audit rows of an action (for one target), oldest first."""
    query = select(AuditEvent).where(AuditEvent.action == action)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    return list(db.scalars(query.order_by(AuditEvent.id)))
