"""Concurrent merges: two workers updating one person serialize instead of losing a version."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, select

from server.accounts.models import User
from server.db import session_factory
from server.registry.merge import SubmissionEssentials, merge_submission_data
from server.registry.models import AppliedSource, DuplicateCandidate, Entity, EntityVersion, RegistryEvent
from server.sealing.crypto import Sealer
from tests.registry.conftest import REGISTRATION, VISIT, WORKER_POINT, registration


def _essentials(block, data, submitter_id, base=None):
    return SubmissionEssentials(
        instance_id=f"uuid:{uuid.uuid4()}",
        entities=block,
        data=data,
        submitter_id=submitter_id,
        received_at=datetime.now(UTC),
        point=WORKER_POINT,
        base_version=base,
    )


def test_concurrent_updates_of_one_person_serialize(backend, engine, settings):
    """PostgreSQL serializes through row and feed locks; SQLite through BEGIN IMMEDIATE."""
    maker = session_factory(engine)  # real, committed transactions on separate connections
    sealer = Sealer.from_settings(settings)
    with maker() as session:
        worker_id = session.scalar(select(User.id).where(User.username == "worker"))
        created = merge_submission_data(session, _essentials(REGISTRATION, registration(), worker_id), sealer)[0]
        session.commit()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def visit(day: str) -> None:
        try:
            with maker() as session:
                start.wait(timeout=10)
                data = {"person": created.entity_uuid, "visit_date": day, "visit_type": "home"}
                merge_submission_data(session, _essentials(VISIT, data, worker_id, base=1), sealer)
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=visit, args=(day,)) for day in ("2026-11-20", "2026-11-21")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        with maker() as session:
            entity = session.scalar(select(Entity).where(Entity.uuid == created.entity_uuid))
            versions = list(
                session.scalars(
                    select(EntityVersion).where(EntityVersion.entity_id == entity.id).order_by(EntityVersion.version)
                )
            )
            assert [v.version for v in versions] == [1, 2, 3]
            assert [v.conflict for v in versions] == [None, None, "hard"]  # the second saw neither version 2
            cursors = list(
                session.scalars(
                    select(RegistryEvent.cursor)
                    .where(RegistryEvent.entity_id == entity.id)
                    .order_by(RegistryEvent.version)
                )
            )
            assert len(cursors) == 3 and cursors == sorted(cursors)  # the feed's order is the versions' order
    finally:
        with maker() as session:
            ids = select(Entity.id).where(Entity.uuid == created.entity_uuid).scalar_subquery()
            session.execute(delete(AppliedSource))
            session.execute(delete(DuplicateCandidate))
            session.execute(delete(RegistryEvent).where(RegistryEvent.entity_id == ids))
            session.execute(delete(EntityVersion).where(EntityVersion.entity_id == ids))
            session.execute(delete(Entity).where(Entity.uuid == created.entity_uuid))
            session.commit()
