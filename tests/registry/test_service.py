"""Reading the registry below the API: Collect's entity list, scoped and masked (server/registry/service.py)."""

from __future__ import annotations

import csv
import io

from server.registry.service import entity_list_csv
from tests.registry.conftest import ID_A, REGISTRATION, registration


def test_entity_list_csv_for_collect(app, db, merge, user_named):
    person = merge(REGISTRATION, registration())
    with app.app_context():
        body = entity_list_csv(db, user_named("worker"), "persons")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0][:4] == ["name", "label", "__version", "full_name"]
    assert rows[1][:3] == [person.entity_uuid, "马小红", "1"]
    assert "6401**********0218" in rows[1] and ID_A not in body.decode()
