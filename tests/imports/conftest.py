"""Import fixtures: jobs inside the test's transaction, the demo admin, the demo worker's grid, an import driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from server import worker
from server.accounts.models import User
from server.geo.service import grid_at
from server.imports import jobs, service
from server.imports.models import ImportJob
from server.settings import Settings
from tests.imports.support import NOW, WORKER_POINT


@pytest.fixture
def job_context(app: Flask, settings: Settings, engine: Engine, maker: sessionmaker[Session]) -> Iterator[None]:
    """Jobs open their sessions on the test's connection, so they see (and roll back with) the test."""
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


@pytest.fixture
def admin(db: Session) -> User:
    """The demo administrator."""
    user = db.scalar(select(User).where(User.username == "admin"))
    assert user is not None
    return user


@pytest.fixture
def grid(db: Session) -> str:
    """The code of the demo worker's grid."""
    unit = grid_at(db, *WORKER_POINT)
    assert unit is not None
    return unit.code


Importer = Callable[..., ImportJob]


@pytest.fixture
def import_file(db: Session, settings: Settings, admin: User, job_context: None) -> Importer:
    """Accept a file and run its job to the end; the import row, refreshed."""

    def run(data: bytes, filename: str = "persons.csv", *, source: str = "police-platform",
            mapping: str | None = None, encoding: str | None = None, dataset: str = "persons") -> ImportJob:
        job = service.create_import(db, settings, admin, dataset=dataset, source=source, filename=filename,
                                    data=data, mapping=mapping, encoding=encoding, now=NOW, enqueue=False)
        db.commit()
        jobs.run_import(job.id)
        db.expire_all()
        found = db.get(ImportJob, job.id)
        assert found is not None
        return found

    return run


def report(db: Session, job: ImportJob) -> dict[str, Any]:
    """The import's report."""
    return service.report(db, job)
