"""Work split across forked processes: results come back in part order, a failing part is
reported, never silently dropped, and claimed chunks are each done exactly once."""

from __future__ import annotations

import os
import time
from itertools import chain

import pytest

from server.forked import Claims, in_parallel


def test_every_part_runs_once_in_its_own_process_and_results_keep_part_order() -> None:
    results = in_parallel(lambda k: (k, k * k, os.getpid()), 3)
    assert [(k, square) for k, square, _ in results] == [(0, 0), (1, 1), (2, 4)]
    pids = [pid for _, _, pid in results]
    assert pids[0] == os.getpid() and len(set(pids)) == 3  # parts 1 and 2 ran in forked children


def test_a_failing_part_raises_with_its_error() -> None:
    def work(k: int) -> int:
        if k == 1:
            raise ValueError("account ACC-7 has no seats")
        return k

    with pytest.raises(RuntimeError, match="ValueError: account ACC-7 has no seats"):
        in_parallel(work, 2)


def test_a_part_that_dies_before_answering_is_reported() -> None:
    def work(k: int) -> int:
        if k == 1:
            os._exit(3)
        return k

    with pytest.raises(RuntimeError, match="worker exited with code 3"):
        in_parallel(work, 2)


def test_one_part_runs_here() -> None:
    assert in_parallel(lambda k: os.getpid(), 1) == [os.getpid()]


def test_every_chunk_is_claimed_exactly_once_across_processes() -> None:
    claims = Claims(500)

    def work(k: int) -> list[int]:
        taken = []
        for chunk in claims:
            taken.append(chunk)
            if k == 0:
                time.sleep(0.001)  # a slower process takes fewer chunks, none twice
        return taken

    parts = in_parallel(work, 3)
    assert sorted(chain.from_iterable(parts)) == list(range(500))
    assert all(part == sorted(part) for part in parts)  # each process takes them in order
    assert len(parts[0]) < len(parts[1]) + len(parts[2])


def test_claims_run_here_when_there_is_one_part() -> None:
    claims = Claims(4)
    assert in_parallel(lambda k: list(claims), 1) == [[0, 1, 2, 3]]
    assert list(claims) == []  # all taken
