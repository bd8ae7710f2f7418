"""The web pool pings a connection only after it sat idle, and replaces a dead one before a request sees it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import Engine

from server.pool import ping_when_idle
from tests.conftest import PG_ADMIN_URL


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _engine(clock: Clock) -> tuple[Engine, list[int]]:
    engine = create_engine(PG_ADMIN_URL, pool_pre_ping=False, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=2.0, clock=clock)
    pings: list[int] = []
    original = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(1)
        return bool(original(dbapi_connection))

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return engine, pings


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()


def test_a_connection_in_use_a_moment_ago_is_not_pinged():
    clock = Clock()
    engine, pings = _engine(clock)
    first = _backend(engine)
    clock.now += 1.9
    assert _backend(engine) == first
    assert pings == []
    engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use():
    clock = Clock()
    engine, pings = _engine(clock)
    first = _backend(engine)
    _terminate(first)
    clock.now += 2.0
    second = _backend(engine)  # no error: the ping found it dead and the pool connected again
    assert second != first
    assert pings == [1]
    engine.dispose()


def test_a_connection_dropped_while_busy_surfaces_as_an_invalidated_connection():
    """What no ping prevents: the error map sees a DBAPIError marked connection_invalidated, and the pool heals."""
    clock = Clock()
    engine, _ = _engine(clock)
    first = _backend(engine)
    _terminate(first)
    with pytest.raises(exc.DBAPIError) as info:
        _backend(engine)
    assert info.value.connection_invalidated
    assert _backend(engine) != first
    engine.dispose()


def test_sqlite_has_nothing_to_ping(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    ping_when_idle(engine)
    assert len(engine.pool.dispatch.checkout) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
