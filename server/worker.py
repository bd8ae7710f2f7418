"""The job side of the process: settings, engine and sessions for jobs.

``gridreg worker`` calls ``configure`` once at start; in inline mode the web
application does. Job functions open their one transaction with ``job_session``.
``gridreg worker`` runs the submission's batch stages (server/batch_worker.py)
and RQ jobs in its own process (RQ's SimpleWorker) so caches stay warm; with
``--fork`` RQ forks a work horse per job, and the inherited pool is dropped in
the child (``engine.dispose(close=False)``) so connections are never shared.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from server import db
from server.settings import Settings


@dataclass
class JobContext:
    """What jobs in this process use."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    pid: int


_context: JobContext | None = None


def configure(settings: Settings, engine: Engine, maker: sessionmaker[Session] | None = None) -> JobContext:
    """Set the process's job context."""
    global _context
    _context = JobContext(settings, engine, maker or db.session_factory(engine), os.getpid())
    return _context


def context() -> JobContext:
    """The process's job context; fresh connections after a fork."""
    if _context is None:
        raise RuntimeError("job context not configured: start jobs through `gridreg worker` or the app")
    if _context.pid != os.getpid():
        _context.engine.dispose(close=False)
        _context.pid = os.getpid()
    return _context


def settings() -> Settings:
    """The settings jobs run with."""
    return context().settings


def process_settings() -> Settings | None:
    """The running process's settings: the app's in a request, the jobs' otherwise; None when neither is set."""
    from flask import current_app, has_app_context

    if has_app_context():
        found: Settings = current_app.extensions["gridreg"].settings
        return found
    return _context.settings if _context is not None else None


@contextmanager
def job_session() -> Iterator[Session]:
    """One session and one transaction for one job."""
    with db.job_session(context().sessionmaker) as session:
        yield session
