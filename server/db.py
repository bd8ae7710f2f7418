"""Database engine, declarative base and the one transaction boundary.

One engine per process. HTTP requests get one session each (``get_session``),
committed by ``unit_of_work`` after the view returns and rolled back on any
exception; jobs use ``job_session``. Services take a session and may flush but
never commit. Work that must only happen after a successful commit (enqueueing
jobs) is registered with ``after_commit``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from sqlalchemy import JSON, DateTime, Dialect, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from server.settings import Settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, JSON text on SQLite.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    """Load SpatiaLite into each new SQLite connection and set safe pragmas."""
    # pysqlite's own transaction handling is off: the "begin" listener emits
    # BEGIN IMMEDIATE so that SAVEPOINTs and the test rollback fixture work as on
    # PostgreSQL, and so that concurrent writers queue on busy_timeout instead of
    # failing: a deferred transaction that read first cannot upgrade to a write
    # once another writer has committed (SQLITE_BUSY_SNAPSHOT, "database is locked").
    dbapi_conn.isolation_level = None
    dbapi_conn.enable_load_extension(True)
    dbapi_conn.load_extension("mod_spatialite")
    dbapi_conn.enable_load_extension(False)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = FULL")
    cur.execute("PRAGMA busy_timeout = 10000")
    cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'")
    if cur.fetchone()[0] == 0:
        cur.execute("SELECT InitSpatialMetaData(1, 'WGS84')")
    cur.close()


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Create the process's engine for PostgreSQL+PostGIS or SQLite+SpatiaLite."""
    url = settings.database_url
    if url.startswith("sqlite"):
        import pysqlite3.dbapi2 as sqlite3  # the stock sqlite3 cannot load extensions

        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, module=sqlite3, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    # A lost server is noticed at the next checkout (pre-ping) and a connection attempt gives up after a few
    # seconds, so a request during an outage answers 503 (server/errors.py) instead of hanging.
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The sessionmaker bound to one engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` only once the session's transaction has committed."""
    session.info.setdefault("after_commit", []).append(callback)


def run_after_commit(session: Session) -> None:
    """Fire the callbacks registered with ``after_commit`` and clear them."""
    callbacks = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def discard_after_commit(session: Session) -> None:
    """Forget callbacks of a transaction that rolled back."""
    session.info.pop("after_commit", None)


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["gridreg"].sessionmaker()
    session: Session = g.db_session
    return session


def close_request_session(_exc: BaseException | None = None) -> None:
    """Close the request's session at teardown (rolls back anything left open)."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        discard_after_commit(session)
        session.close()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit the request's session when the block succeeds, roll back otherwise.

    Errors flagged ``keep_changes`` (a failed login that must count towards
    throttling) commit what was written before they propagate.
    """
    session = get_session()
    try:
        yield session
    except BaseException as exc:
        if getattr(exc, "keep_changes", False):
            session.commit()
            discard_after_commit(session)
        else:
            session.rollback()
            discard_after_commit(session)
        raise
    session.commit()
    run_after_commit(session)


@contextmanager
def job_session(maker: sessionmaker[Session]) -> Iterator[Session]:
    """One session and one transaction for one background job."""
    session = maker()
    try:
        yield session
        session.commit()
        run_after_commit(session)
    except BaseException:
        session.rollback()
        discard_after_commit(session)
        raise
    finally:
        session.close()
