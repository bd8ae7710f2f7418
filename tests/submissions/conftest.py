"""Fixtures of the submission tests: the published registration form, jobs inside the test's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from server import pipeline, worker
from server.forms.models import FormVersion
from server.settings import Settings
from server.submissions import jobs as submission_jobs
from tests.submissions.support import publish_registration


@pytest.fixture
def jobs_in_test_transaction(app: Flask, settings: Settings, engine: Engine, maker: sessionmaker[Session],
                             monkeypatch: Any) -> Iterator[None]:
    """Inline jobs open their sessions on the test's connection, so they see (and roll back with) the test.

    Depends on ``app`` because create_app configures the job context with the engine's own sessions.
    Follow-up jobs (the registry's merge) are unhooked: these tests stop at validated.
    """
    monkeypatch.setitem(pipeline.FOLLOWS, submission_jobs.validate_submission, ())
    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


@pytest.fixture
def registration(db: Session, monkeypatch: Any) -> FormVersion:
    """forms/registration.xlsx uploaded and published."""
    return publish_registration(db, monkeypatch)
