"""Where a person lives: dated residence events as submissions see them come and go (server/registry/moves.py)."""

from __future__ import annotations

from sqlalchemy import select

from server.registry.models import Entity
from tests.registry.conftest import FAR_POINT, MOVE_OUT, REGISTRATION, VISIT, event_kinds, registration


def test_returned_after_departure(db, merge, far_worker):
    created = merge(REGISTRATION, registration())
    merge(
        MOVE_OUT,
        {
            "person": created.entity_uuid,
            "departure_date": "2026-10-01",
            "move_reason": "work",
            "residence_status": "departed",
        },
    )
    merge(
        VISIT,
        {"person": created.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"},
        point=FAR_POINT,
        username="far_worker",
    )
    person = db.scalar(select(Entity).where(Entity.uuid == created.entity_uuid))
    assert event_kinds(db, person) == ["created", "departed", "returned", "moved", "updated"]
    assert person.status == "active" and person.properties["residence_status"] == "resident"
