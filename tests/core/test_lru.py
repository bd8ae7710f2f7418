"""The one bounded LRU map behind the in-process caches."""

from __future__ import annotations

from server.lru import Lru


def test_a_hit_keeps_its_key_and_the_least_recently_used_goes_first() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # "b" is now the least recently used
    lru.put("c", 3)
    assert (lru.get("b"), lru.get("a"), lru.get("c"), len(lru)) == (None, 1, 3, 2)


def test_pop_pop_where_and_clear_forget() -> None:
    lru: Lru[tuple[str, int], str] = Lru(10)
    for name, n in [("w", 1), ("w", 2), ("x", 1)]:
        lru.put((name, n), f"{name}{n}")
    lru.pop(("x", 1))
    lru.pop(("nobody", 0))
    assert list(lru) == [("w", 1), ("w", 2)]
    lru.pop_where(lambda key: key[1] == 2)
    assert list(lru) == [("w", 1)]
    lru.clear()
    assert len(lru) == 0 and lru.get(("w", 1)) is None
