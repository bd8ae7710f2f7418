"""The per-process cache of compiled definitions, hammered by real threads as gunicorn's are."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator

import pytest

from server.forms import models

THREADS = 8
CALLS = 50_000
KEYS = 200  # far more than the cache holds, so every thread evicts what another is touching


@pytest.fixture
def eager_switching() -> Iterator[None]:
    """Switch threads as often as the interpreter can, so that a race shows up in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _definition(key: tuple[int, str]) -> dict[str, object]:
    return {"id": key[0], "sha": key[1]}


def test_threads_hammering_the_cache_get_their_own_definitions(eager_switching: None) -> None:
    errors: list[BaseException] = []
    wrong: list[tuple[tuple[int, str], object]] = []
    start = threading.Barrier(THREADS)

    def hammer(seed: int) -> None:
        rnd = random.Random(seed)
        start.wait()
        try:
            for _ in range(CALLS):
                key = (rnd.randrange(KEYS), "sha")
                found = models._cached_definition(key, lambda key=key: _definition(key))
                if found != _definition(key):
                    wrong.append((key, found))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and wrong == []
    assert len(models._DEFINITIONS) <= models._DEFINITION_CACHE_SIZE


def test_recently_used_definitions_stay_and_the_oldest_go() -> None:
    loads: list[int] = []

    def load(i: int) -> dict[str, object]:
        loads.append(i)
        return {"id": i}

    size = models._DEFINITION_CACHE_SIZE
    for i in range(size):
        models._cached_definition((10_000 + i, "lru"), lambda i=i: load(i))
    models._cached_definition((10_000, "lru"), lambda: load(0))  # touched: now the newest
    models._cached_definition((10_000 + size, "lru"), lambda: load(size))  # evicts the oldest, key 1
    loads.clear()
    models._cached_definition((10_000, "lru"), lambda: load(0))
    models._cached_definition((10_001, "lru"), lambda: load(1))
    assert loads == [1]
