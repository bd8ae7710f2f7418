"""The audit trail is written with the change and cannot be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from server.audit.models import AuditEvent
from server.audit.service import record


def test_login_writes_an_audit_event_with_request_id(client, db):
    resp = client.post("/api/v1/auth/token", json={"username": "worker", "password": "gridreg-demo"},
                       headers={"X-Request-Id": "req-audit-1"})
    assert resp.status_code == 200
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login"))
    assert event.request_id == "req-audit-1" and event.target_type == "user"


def test_failed_login_is_audited_too(client, db):
    client.post("/api/v1/auth/token", json={"username": "worker", "password": "wrong-one"})
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    assert event.detail == {"username": "worker"}


def test_audit_rolls_back_with_the_change(db):
    savepoint = db.begin_nested()
    record(db, None, "test.thing", detail={"n": 1})
    db.flush()
    savepoint.rollback()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "test.thing")) is None


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_audit_rows_cannot_be_changed(db, statement):
    record(db, None, "test.append_only")
    db.flush()
    savepoint = db.begin_nested()
    with pytest.raises(DatabaseError, match="append-only"):
        db.execute(text(statement))
    savepoint.rollback()
