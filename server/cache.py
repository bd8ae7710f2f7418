"""In-process caches of hot, rarely changing rows, dropped within a second of a change in any process.

Every submission asks who is calling, which form version it names and which
grid its point lies in. Those rows change a few times a day, yet reading them
cost more CPU than storing the submission. So each process keeps them, and one
counter per kind of row says when to drop them:

- ``cache_generations`` has one row per kind (``accounts``, ``forms``,
  ``units``); database triggers (migration 0017) bump it in the same
  transaction as any change to the rows behind it, whichever code or process
  (a shell, another gunicorn worker, a migration) makes the change;
- a process reads the counters at most once per ``check_every`` second(s),
  in the transaction of the request that needs them: one tiny query a
  second instead of several per request. A changed counter drops that kind's
  entries, so a revoked token, a changed password, a disabled user, a
  retired or published form version, a moved unit boundary take effect
  within a second everywhere. In the process that made the change it is
  immediate: a flush touching a watched table forces a read on the next use.

Redis pub/sub would push changes faster, but the embedded default has no
Redis, a lost message would leave a stale entry forever, and the counter is
in the same transaction as the change, so it cannot be missed. Entries also
expire after ``ttl`` seconds, as a bound on anything the triggers do not see.
The clock is injectable: tests move it instead of sleeping.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, Column, String, Table, event, select
from sqlalchemy.orm import Session, UOWTransaction

from server.db import Base
from server.lru import Lru

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_CHECK_SECONDS = 1.0
DEFAULT_TTL_SECONDS = 300.0
DEFAULT_MAX_ENTRIES = 10_000

cache_generations = Table(
    "cache_generations", Base.metadata,
    Column("name", String(32), primary_key=True),
    Column("generation", BigInteger, nullable=False, server_default="0"),
)

# Which tables' changes bump which counter (the triggers of migration 0017 say the same).
WATCHED = {
    "accounts": ("users", "user_scopes", "access_tokens", "login_throttles"),
    "forms": ("forms", "form_versions"),
    "units": ("admin_units",),
}
_KIND_OF_TABLE = {table: kind for kind, tables in WATCHED.items() for table in tables}
_READ = select(cache_generations.c.name, cache_generations.c.generation)

# Bumped by a flush in this process that touched a watched table: the next check reads the counters at once.
_local_changes = [0]


@event.listens_for(Session, "after_flush")
def _note_local_change(session: Session, _flush: UOWTransaction) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        if table in _KIND_OF_TABLE:
            _local_changes[0] += 1
            return


class Generations:
    """The counters of ``cache_generations``, read at most once per ``check_every`` seconds."""

    def __init__(self, check_every: float = DEFAULT_CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.check_every = check_every
        self.clock = clock
        self._values: dict[str, int] = {}
        self._checked_at: float | None = None
        self._local_seen = -1
        self._lock = threading.Lock()

    def current(self, session: Session) -> dict[str, int]:
        """The counters, read again if the last read is older than ``check_every`` or this process changed rows."""
        now = self.clock()
        with self._lock:
            fresh = (self._checked_at is not None and now - self._checked_at < self.check_every
                     and self._local_seen == _local_changes[0])
            if fresh:
                return self._values
        local = _local_changes[0]
        values = {str(name): int(gen) for name, gen in session.execute(_READ)}
        with self._lock:
            self._values, self._checked_at, self._local_seen = values, now, local
        return values


class ProcessCache(Generic[K, V]):
    """Values by key built from some kinds of rows: dropped when one of their generations moves, after ``ttl``,
    or least recently used first (server/lru.py)."""

    def __init__(self, kinds: tuple[str, ...], generations: Generations, *, ttl: float = DEFAULT_TTL_SECONDS,
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if unknown := [kind for kind in kinds if kind not in WATCHED]:
            raise ValueError(f"unknown cache kinds {unknown!r}")
        self.kinds = kinds
        self.generations = generations
        self.ttl = ttl
        self._generation: tuple[int | None, ...] | None = None
        self._entries: Lru[K, tuple[float, V]] = Lru(max_entries)
        # Held across reading the generation and storing under it, so no entry is stored under a stale one.
        self._lock = threading.Lock()

    def _sync(self, session: Session) -> tuple[int | None, ...]:
        current = self.generations.current(session)
        generation = tuple(current.get(kind) for kind in self.kinds)
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
        return generation

    def get(self, session: Session, key: K) -> V | None:
        """The value for ``key`` if it is cached, unexpired and its kind has not changed since."""
        self._sync(session)
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= self.generations.clock():
            self._entries.pop(key)
            return None
        return found[1]

    def put(self, session: Session, key: K, value: V) -> None:
        """Remember ``value``, read in ``session``'s transaction (so under the generation current there)."""
        generation = self._sync(session)
        expires = self.generations.clock() + self.ttl
        with self._lock:
            if generation == self._generation:
                self._entries.put(key, (expires, value))

    def clear(self) -> None:
        """Drop everything."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Caches:
    """The application's caches, sharing one generation reader (``app.extensions['gridreg'].caches``)."""

    def __init__(self, check_every: float = DEFAULT_CHECK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.generations = Generations(check_every, clock)
        # A cached caller carries their scope units (paths, codes): a change to the units drops it too.
        self.identity: ProcessCache[Hashable, Any] = ProcessCache(("accounts", "units"), self.generations)
        self.form_versions: ProcessCache[Hashable, Any] = ProcessCache(("forms",), self.generations)
        self.units: ProcessCache[Hashable, Any] = ProcessCache(("units",), self.generations, max_entries=4)


_by_bind: weakref.WeakKeyDictionary[Any, Caches] = weakref.WeakKeyDictionary()
_by_bind_lock = threading.Lock()


def caches_for(session: Session) -> Caches:
    """The caches of the database ``session`` is bound to: one set per engine (a test's connection has its own)."""
    bind = session.get_bind()
    with _by_bind_lock:
        found = _by_bind.get(bind)
        if found is None:
            found = _by_bind[bind] = Caches()
        return found


def install_caches(session: Session, caches: Caches) -> Caches:
    """Use ``caches`` for ``session``'s database from now on (tests: a clock of their own)."""
    with _by_bind_lock:
        _by_bind[session.get_bind()] = caches
    return caches


# Cached rows are kept as detached copies, never as objects of a live session: each request takes its own
# session-bound copy with ``attach`` (``Session.merge(load=False)``, which copies the loaded state and runs
# no SQL), so no two threads ever share an object a session could change or flush.
_copier = Session()
_copier_lock = threading.Lock()

Obj = TypeVar("Obj")


def detached_copy(obj: Obj) -> Obj:
    """A copy of a freshly loaded, unchanged ORM object (and what it loaded along), attached to no session."""
    with _copier_lock:
        try:
            copy = _copier.merge(obj, load=False)
        finally:
            _copier.expunge_all()
    return copy


def attach(session: Session, cached: Obj) -> Obj:
    """The request's own copy of a cached object, without a query."""
    return session.merge(cached, load=False)
