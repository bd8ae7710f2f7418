"""The exports' fast path shows every caller exactly what the registry's own reads show them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.accounts.models import User
from server.exports.shaping import Shaper
from server.registry import service, store
from server.registry.models import Entity
from tests.registry.conftest import REGISTRATION, registration


@pytest.mark.parametrize("username", ["admin", "supervisor", "worker", "police", "hrss", "education", "designer"])
def test_shaper_matches_show_row(db, merge, sealer, username):
    uuid = merge(REGISTRATION, registration()).entity_uuid
    entity = db.scalar(select(Entity).where(Entity.uuid == uuid))
    user = db.scalar(select(User).where(User.username == username))
    spec = store.declared(db)["persons"]
    viewer = service.Viewer.of(user, sealer, reveal=True)
    expected = viewer.show_row(spec, uuid, entity.properties, entity.sealed)
    shaper = Shaper(spec, user, sealer)
    assert shaper.properties(entity.properties, entity.sealed) == expected
    assert bool(shaper.revealed_records) == bool(viewer.revealed)
    assert shaper.revealed == set(viewer.revealed.get(uuid, set()))
