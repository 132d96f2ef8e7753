"""The per-account TTL cache: expiry by the injected clock, LRU bound, thread safety."""

from __future__ import annotations

import threading

from connectors.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entry_lives_until_ttl() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(ttl_seconds=300, max_items=10, clock=clock)
    cache.put("a", 1)
    clock.now += 299.9
    assert cache.get("a") == 1
    clock.now += 0.1
    assert cache.get("a") is None


def test_least_recently_used_goes_first() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl_seconds=300, max_items=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_zero_ttl_disables_caching() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl_seconds=0, max_items=2, clock=Clock())
    cache.put("a", 1)
    assert cache.get("a") is None


def test_concurrent_puts_keep_the_bound() -> None:
    cache: TtlCache[int, int] = TtlCache(ttl_seconds=300, max_items=50, clock=Clock())

    def fill(offset: int) -> None:
        for i in range(500):
            cache.put(offset + i, i)
            cache.get(offset + i // 2)

    threads = [threading.Thread(target=fill, args=(n * 1000,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(cache.get(k) is not None for n in range(8) for k in range(n * 1000, n * 1000 + 500)) == 50
