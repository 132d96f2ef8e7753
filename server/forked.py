"""Work split across forked processes: the book's assessments on both cores of the machine.

Forked children share the parent's memory copy-on-write, so the snapshots they read are neither
copied nor pickled; only each child's result travels back, pickled, through a pipe. CPython still
writes a reference count into every object a child reads, so a child ends up owning copies of the
pages it touched (measured, proportional set size of all processes, one process -> two: 100,000
accounts 2,045 -> 2,452 MiB; at 10,000 accounts the peak is the load, before the split).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import TypeVar

R = TypeVar("R")


def cores() -> int:
    """The processors this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def in_parallel(work: Callable[[int], R], parts: int) -> list[R]:
    """`work(0)` here and `work(1)` … `work(parts - 1)` in forked children; results in part order.

    Where fork is unavailable (or one part), every part runs here in turn. A failing child raises
    RuntimeError naming its error; the parent's own part is finished first.
    """
    if parts <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [work(k) for k in range(parts)]
    context = multiprocessing.get_context("fork")
    children = []
    for k in range(1, parts):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(work, k, send), daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    results = [work(0)]
    for child, receive in children:
        try:
            ok, value = receive.recv()
        except EOFError:  # it died before answering
            child.join()
            ok, value = False, f"worker exited with code {child.exitcode}"
        child.join()
        if not ok:
            raise RuntimeError(f"a forked worker failed: {value}")
        results.append(value)
    return results


def _child(work: Callable[[int], object], part: int, send: Connection) -> None:
    try:
        send.send((True, work(part)))
    except BaseException as exc:  # reported to the parent, which raises it
        send.send((False, f"{type(exc).__name__}: {exc}"))


class Claims:
    """Chunks 0 … count - 1 of some work handed out in turn across forked processes: each process
    iterating takes the next chunk nobody has taken, so a slower process takes fewer. Fixed halves
    left one core idle while the other finished (0.7 s of a 20 s ranking at 100,000 accounts: a
    forked child pays more copy-on-write faults than its parent). Create it before the processes fork."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._next = multiprocessing.Value("l", 0)

    def __iter__(self) -> Iterator[int]:
        while True:
            with self._next.get_lock():
                chunk = self._next.value
                self._next.value = chunk + 1
            if chunk >= self.count:
                return
            yield chunk
