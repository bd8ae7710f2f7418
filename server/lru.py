"""One bounded, thread-safe, least-recently-used map: the store behind every in-process cache.

gunicorn runs threads, so every read that reorders the map and every write that
evicts from it happens under one lock (unlocked, one thread's ``move_to_end`` of
a key raced another's eviction of it). What a cache keeps, when it expires and
what invalidates it are the cache's own business (server/cache.py,
accounts/basic_cache.py, forms/models.py, registry/declarations.py); this is
only the map.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most ``max_entries`` values by key; a hit makes its key the most recently used."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` as the most recently used, dropping the least recently used past the bound."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def pop(self, key: K) -> None:
        """Forget ``key`` if it is there."""
        with self._lock:
            self._entries.pop(key, None)

    def pop_where(self, drop: Callable[[K], bool]) -> None:
        """Forget every key ``drop`` says to."""
        with self._lock:
            for key in [k for k in self._entries if drop(k)]:
                del self._entries[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __iter__(self) -> Iterator[K]:
        """The keys as they stand now, least recently used first."""
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
