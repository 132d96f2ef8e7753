"""Warm render time of the review desk's pages on a big book (target: under 1 s each, warm).

Opens the workspace, requests each page once to warm it (the first `/` ranks the whole book, which the
web app then keeps per day), then times, through Starlette's TestClient (no network): the first view of
N different accounts in the warm process (reported, not held to the target), then N warm requests of
`/`, a filtered `/` and those account pages again. Prints wall and CPU seconds per
request, the cold first request as the baseline the warm ones are compared with, and peak memory.

    .venv/bin/expansion-desk demo --out /work/bench-data/h12-10k --accounts 10000 --parquet   # once
    python benchmarks/web_pages.py --workspace /work/bench-data/h12-10k [--requests 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from starlette.testclient import TestClient

from server.desk import Desk
from server.settings import Settings
from server.store import ProposalStore
from server.web.app import create_app

TARGET_S = 1.0


def timed(get: Callable[[], int]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    status = get()
    if status != 200:
        raise SystemExit(f"request failed with {status}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=None, help="workspace folder (default: the bundled demo)")
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        desk = Desk(Settings(workspace=args.workspace))
        store = ProposalStore(create_engine(f"sqlite:///{tmp}/p.sqlite3"))
        print(f"opened {len(desk.source.accounts())} accounts in {time.perf_counter() - started:.1f} s")
        client = TestClient(create_app(desk, store, allowed_hosts=["testserver"]))
        cold_book, _ = timed(lambda: client.get("/").status_code)
        ids = [a.account_id for a in desk.rank()[: args.requests + 1]]
        cold_account, _ = timed(lambda: client.get(f"/accounts/{ids[0]}").status_code)
        print(f"cold (baseline): /  {cold_book:6.2f} s   /accounts/{{id}}  {cold_account:6.2f} s")
        pages = {
            "/": lambda _: client.get("/").status_code,
            "/?tier=priority&actionable=1&sort=value": lambda _: (
                client.get("/?tier=priority&actionable=1&sort=value").status_code
            ),
            "/accounts/{id} (seen before)": lambda i: client.get(f"/accounts/{ids[i + 1]}").status_code,
        }
        first_views = [
            timed(lambda i=i: client.get(f"/accounts/{ids[i + 1]}").status_code) for i in range(args.requests)
        ]
        print(
            f"first view of an account in a warm process: median {statistics.median(r[0] for r in first_views):.3f} s wall"
            f"  {statistics.median(r[1] for r in first_views):.3f} s CPU  max {max(r[0] for r in first_views):.3f} s"
            "  (two point-in-time snapshots for 26 weeks of usage, then three charts; cached after)"
        )
        missed = 0
        for name, get in pages.items():
            runs = [timed(lambda i=i, get=get: get(i)) for i in range(args.requests)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            baseline = cold_book if name.startswith("/?") or name == "/" else cold_account
            ok = max(r[0] for r in runs) < TARGET_S
            missed += not ok
            print(
                f"warm {name:42s} median {wall:6.3f} s wall  {cpu:6.3f} s CPU  max {max(r[0] for r in runs):6.3f} s"
                f"  ({wall / baseline:5.1%} of cold)  target < {TARGET_S:.0f} s: {'met' if ok else 'MISSED'}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory {peak:.0f} MB")
        return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
