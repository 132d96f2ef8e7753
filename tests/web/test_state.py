"""The web app's small cache: one computation per key, other keys never wait, the oldest entry goes."""

from __future__ import annotations

import threading
import time

from server.web.state import Lru


def test_one_computation_per_key_while_other_keys_proceed() -> None:
    cache: Lru[str, int] = Lru(2)
    calls: list[str] = []
    slow_started = threading.Event()

    def slow() -> int:
        calls.append("slow")
        slow_started.set()
        time.sleep(0.5)
        return 1

    threads = [threading.Thread(target=cache.get, args=("book", slow)) for _ in range(3)]
    for t in threads:
        t.start()
    slow_started.wait(5)
    started = time.monotonic()
    assert cache.get("account", lambda: 2) == 2
    assert time.monotonic() - started < 0.3, "another key waited for the slow computation"
    for t in threads:
        t.join()
    assert calls == ["slow"]
    assert cache.get("book", lambda: 99) == 1


def test_the_oldest_entry_is_dropped() -> None:
    cache: Lru[int, int] = Lru(2)
    for key in (1, 2, 1, 3):
        cache.get(key, lambda key=key: key * 10)
    assert cache.peek(2) is None and cache.peek(1) == 10 and cache.peek(3) == 30
