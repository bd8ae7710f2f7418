"""The entity list Collect downloads holds only the caller's part of the registry, masked."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.registry.merge import SubmissionEssentials, merge_submission_data
from server.sealing.crypto import Sealer
from tests.openrosa.conftest import collect_headers
from tests.registry.conftest import FAR_POINT, ID_A, ID_B, REGISTRATION, WORKER_POINT, registration


def _register(db: Session, sealer: Sealer, name: str, id_number: str, point: tuple[float, float]) -> str:
    worker = db.scalar(select(User).where(User.username == "worker"))
    assert worker is not None
    essentials = SubmissionEssentials(
        instance_id=f"uuid:{uuid.uuid4()}", entities=REGISTRATION,
        data=registration(name, id_number, point=point, phone="13700000000" if point == FAR_POINT else "13812345678"),
        submitter_id=worker.id, received_at=datetime(2026, 11, 28, tzinfo=UTC), point=point, base_version=None)
    outcome = merge_submission_data(db, essentials, sealer)[0]
    db.flush()
    return outcome.entity_uuid


def _rows(client: FlaskClient, username: str) -> list[dict[str, str]]:
    response = client.get("/openrosa/forms/household_visit/attachments/persons.csv",
                          headers=collect_headers(username))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


def test_entity_list_is_scoped(client: FlaskClient, db: Session, settings: Any, published: dict[str, Any]) -> None:
    sealer = Sealer.from_settings(settings)
    near = _register(db, sealer, "马小红", ID_A, WORKER_POINT)
    far = _register(db, sealer, "李娜", ID_B, FAR_POINT)
    db.commit()
    worker_rows = _rows(client, "worker")
    assert [r["name"] for r in worker_rows] == [near]
    assert worker_rows[0]["resident_id"] != ID_A and "*" in worker_rows[0]["resident_id"]
    assert {r["name"] for r in _rows(client, "supervisor")} == {near}
    assert {r["name"] for r in _rows(client, "admin")} == {near, far}
