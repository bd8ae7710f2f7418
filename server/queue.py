"""Background jobs: RQ queues when Redis is configured, inline after commit otherwise.

The database row is the truth and Redis only a doorbell: jobs take ids, are
enqueued only after the transaction that made the work commits, and re-check
the row's state so that running twice changes nothing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from redis import Redis

from server.settings import Settings

log = logging.getLogger(__name__)

QUEUES = ("validation", "merge", "media", "exports", "reports")


@lru_cache(maxsize=8)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def redis_connection(settings: Settings) -> Redis:
    """The process's Redis connection for ``settings``."""
    if not settings.redis_url:
        raise RuntimeError("no Redis configured")
    return _redis(settings.redis_url)


def describe() -> dict[str, Any]:
    """Queue names, for diagnostics."""
    return {"queues": list(QUEUES)}
