"""The web process's PostgreSQL pool: ping a pooled connection only when it sat idle.

``pool_pre_ping`` costs a round trip on every checkout, and a request checks a
connection out once: under load that was a tenth of the CPU of a submission,
to guard against a server restart that happens a few times a year. A
connection that was in use a moment ago is known to be alive as surely as a
ping could show; one that sat in the pool longer than ``idle_seconds`` (the
quiet hours after a restart or a failover) is pinged first, and a dead one is
replaced before the request sees it (SQLAlchemy retries the checkout on
``DisconnectionError``).

What a ping could not have prevented anyway (the server going away while
connections are busy) reaches the request as the driver's error, which
SQLAlchemy raises as ``sqlalchemy.exc.DBAPIError`` with
``connection_invalidated`` set and answers by discarding the whole pool; the
error map answers it as the database being unavailable. psycopg itself
prepares a statement the fifth time a connection runs it (``prepare_threshold``),
so the hot statements run as prepared statements without more settings.
The clock is injectable: tests move it instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SECONDS = 2.0
_RETURNED_AT = "gridreg_returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_SECONDS,
                   clock: Callable[[], float] = time.monotonic) -> None:
    """Make ``engine``'s pool ping a connection at checkout only if it was idle ``idle_seconds`` or more.

    Meant for an engine created with ``pool_pre_ping=False``; SQLite has nothing to ping.
    """
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = clock()

    @event.listens_for(engine, "checkout")
    def _maybe_ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or clock() - returned < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"pooled connection idle for {clock() - returned:.0f} s is gone") \
                from error
