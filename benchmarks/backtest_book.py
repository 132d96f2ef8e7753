"""Backtest a 10,000-account book at 12 monthly points (target: under 60 s), against one `rank` of the same book.

Each run is a separate child process so one does not inflate the other's figures; each prints
wall time, CPU seconds (all threads: DuckDB's included) and peak memory. The book is generated
once, outside the repository (~10M usage events as Parquet, ~21 months of history).

    python benchmarks/backtest_book.py [--accounts 10000] [--dir /work/bench-data/h13-10k] [--points 12]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 23)


def generate(directory: Path, accounts: int, seed: int) -> dict[str, Any]:
    from connectors.demo import generate_workspace

    marker = directory / f".generated-{accounts}-{seed}"
    if marker.is_file():
        return dict(json.loads(marker.read_text()), cached=True)
    started = time.perf_counter()
    summary = generate_workspace(directory, accounts=accounts, seed=seed, as_of=AS_OF, usage_format="parquet")
    figures = {"accounts": summary.accounts, "events": summary.usage_events, "seconds": time.perf_counter() - started}
    marker.write_text(json.dumps(figures))
    return figures


def _measure(run: Any) -> dict[str, Any]:
    import resource

    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **result,
    }


def backtest(directory: Path, points: int) -> dict[str, Any]:
    """The product path of `expansion-desk backtest`: load, default points (the last `points`), replay, report."""
    from server.cli.backtest import backtest_points, observe_points
    from server.desk import Desk
    from server.settings import Settings
    from skills.backtest.report import backtest_report

    def run() -> dict[str, Any]:
        desk = Desk(Settings(workspace=directory))
        chosen = backtest_points(desk, (), 180)[-points:]
        observations = observe_points(desk, chosen, 180, quiet=True)
        report = backtest_report(observations, chosen, 180)
        return {"points": len(chosen), "observations": report.observations, "auc": report.auc}

    return _measure(run)


def rank(directory: Path) -> dict[str, Any]:
    from server.desk import Desk
    from server.settings import Settings

    return _measure(lambda: {"ranked": len(Desk(Settings(workspace=directory)).rank(AS_OF))})


def child(kind: str, directory: Path, points: int) -> dict[str, Any]:
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); import backtest_book as b; "
        f"print(json.dumps(b.{kind}(Path({str(directory)!r}){', ' + str(points) if kind == 'backtest' else ''})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # DuckDB draws a progress bar on stdout for long queries: the figures are the last JSON object
    return dict(json.loads(done.stdout[done.stdout.rindex('{"wall_s"') :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--dir", type=Path, default=Path("/work/bench-data/h13-10k"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"book: {json.dumps(generate(args.dir, args.accounts, args.seed))}")
    ranked = child("rank", args.dir, args.points)
    replay = child("backtest", args.dir, args.points)
    print(f"rank (baseline, 1 day)     {json.dumps(ranked)}")
    print(f"backtest ({replay['points']} points)      {json.dumps(replay)}")
    print(
        f"backtest / rank: wall ×{replay['wall_s'] / ranked['wall_s']:.2f}, cpu ×{replay['cpu_s'] / ranked['cpu_s']:.2f}, "
        f"peak memory ×{replay['peak_mib'] / ranked['peak_mib']:.2f}; target wall < 60 s: "
        f"{'met' if replay['wall_s'] < 60 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
