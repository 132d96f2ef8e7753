"""Work split across forked processes: results come back in part order, and a failing part is
reported, never silently dropped."""

from __future__ import annotations

import os

import pytest

from server.forked import in_parallel


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
