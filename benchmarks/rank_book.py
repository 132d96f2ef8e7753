"""Rank a 10,000-account book (~5M usage events): the DuckDB engine against the naive way.

Prints wall time and peak memory for each, measured in separate child processes so one does
not inflate the other's figures, and checks both produce the same ranking.

    python benchmarks/rank_book.py [--accounts 10000] [--dir /tmp/expansion-desk-bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
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


def figures(started: float, loaded: float, ranking: list[str]) -> dict[str, Any]:
    """Wall times since `started` (load, then rank up to now) and this process's peak memory."""
    done = time.perf_counter()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "load_s": loaded - started,
        "rank_s": done - loaded,
        "total_s": done - started,
        "peak_mib": peak_mib,
        "ranking": ranking,
    }


def engine(directory: Path) -> dict[str, Any]:
    """The product path: Workspace (DuckDB SQL aggregation) + Desk.rank."""
    from server.desk import Desk
    from server.settings import Settings

    started = time.perf_counter()
    desk = Desk(Settings(workspace=directory))
    loaded = time.perf_counter()
    return figures(started, loaded, [a.account_id for a in desk.rank(AS_OF)])


def naive_usage(rows: list[tuple[Any, ...]], as_of: date) -> Any:
    """Per-account Python over event rows: what the SQL replaces."""
    from skills.snapshot import DepartmentSpread, RegionUsage, SharingUser, UsageFacts

    def age(ts: datetime) -> int:
        return (as_of - ts.date()).days

    rows = [r for r in rows if age(r[0]) >= 0]
    recent = [r for r in rows if age(r[0]) < 90]
    first_seen: dict[str, datetime] = {}
    dept_users: dict[str, set[str]] = defaultdict(set)
    for ts, _acc, user, dept, *_ in rows:
        if dept:
            first_seen[dept] = min(first_seen.get(dept, ts), ts)
            dept_users[dept].add(user)
    by_user: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for ts, _acc, user, _d, _r, _e, _f, device in rows:
        if device and age(ts) < 31:
            by_user[user].append((ts, device))
    sharing = []
    for user, events in by_user.items():
        events.sort()
        days = {
            b[0].date()
            for a, b in pairwise(events)
            if a[1] != b[1] and b[0] - a[0] <= timedelta(minutes=5) and age(b[0]) < 30
        }
        if days:
            sharing.append(SharingUser(user_id=user, days=len(days)))
    gates: dict[str, int] = defaultdict(int)
    regions: dict[str, set[str]] = defaultdict(set)
    for _ts, _acc, user, _dept, region, event, feature, _dev in recent:
        if event == "feature_gate_hit" and feature:
            gates[feature] += 1
        if region:
            regions[region].add(user)
    history = []
    for k in range(13):
        point = as_of - timedelta(days=7 * k)
        users = {r[2] for r in rows if 0 <= (point - r[0].date()).days < 30}
        history.append(len(users))
    return UsageFacts(
        as_of=as_of,
        active_users_30d=len({r[2] for r in recent if age(r[0]) < 30}),
        active_users_90d=len({r[2] for r in recent}),
        workflow_completions_90d=sum(1 for r in recent if r[5] == "workflow_completed"),
        new_departments=tuple(
            sorted(
                (
                    DepartmentSpread(department=d, first_seen=ts.date(), users=len(dept_users[d]))
                    for d, ts in first_seen.items()
                    if age(ts) < 90
                ),
                key=lambda d: d.department,
            )
        ),
        sharing_users=tuple(sorted(sharing, key=lambda u: u.user_id)),
        gate_hits_90d=dict(sorted(gates.items())),
        regions_90d=tuple(
            sorted((RegionUsage(region=r, users_90d=len(u)) for r, u in regions.items()), key=lambda r: r.region)
        ),
        weekly_active_users=tuple(history),
    )


def naive(directory: Path) -> dict[str, Any]:
    """Every event pulled into Python objects, grouped per account, aggregated in loops."""
    import duckdb

    from connectors.tables import group_by_account, read_table
    from skills.assessment import assess, peer_metrics, rank_order
    from skills.catalog import Catalog
    from skills.proposal.benchmarks import segment_peers
    from skills.rules import Rules
    from skills.snapshot import Account, Contact, Interaction, Outcome, Ticket
    from skills.usage.aggregate import no_usage

    started = time.perf_counter()
    rules = Rules().with_catalog(Catalog.model_validate_json((directory / "catalog.json").read_text()))
    accounts = read_table(directory / "accounts.csv", Account)
    records = {
        name: group_by_account(read_table(directory / f"{name}.csv", model))
        for name, model in (
            ("contacts", Contact),
            ("tickets", Ticket),
            ("interactions", Interaction),
            ("outcomes", Outcome),
        )
    }
    events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    cursor = duckdb.connect().execute(
        f"SELECT ts, account_id, user_id, department, region, event, feature, device_id "
        f"FROM read_parquet('{directory / 'usage_events.parquet'}')"
    )
    while batch := cursor.fetchmany(200_000):
        for row in batch:
            events[row[1]].append(row)
    loaded = time.perf_counter()
    from skills.snapshot import AccountSnapshot

    snapshots = [
        AccountSnapshot(
            as_of=AS_OF,
            account=a,
            usage=naive_usage(events[a.account_id], AS_OF)
            if events.get(a.account_id)
            else no_usage(AS_OF, rules.usage),
            **{name: tuple(records[name].get(a.account_id, ())) for name in records},
        )
        for a in accounts
    ]
    peers = segment_peers(peer_metrics(s, rules) for s in snapshots)
    ranked = sorted((assess(s, peers, rules) for s in snapshots), key=rank_order)
    return figures(started, loaded, [a.account_id for a in ranked])


def child(mode: str, directory: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--mode", mode, "--dir", str(directory)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/expansion-desk-bench"))
    parser.add_argument("--mode", choices=["engine", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.mode:
        print(json.dumps((engine if args.mode == "engine" else naive)(args.dir)))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    made = generate(args.dir, args.accounts, args.seed)
    print(
        f"workspace: {made['accounts']:,} accounts, {made['events']:,} usage events (parquet) in {args.dir}"
        + (" [cached]" if made.get("cached") else f", generated in {made['seconds']:.1f} s")
    )
    results = {"engine (DuckDB SQL)": child("engine", args.dir)}
    if not args.skip_naive:
        results["naive (per-account Python)"] = child("naive", args.dir)
    print(f"{'path':<28}{'load s':>9}{'rank s':>9}{'total s':>9}{'peak MiB':>10}")
    for name, r in results.items():
        print(f"{name:<28}{r['load_s']:>9.2f}{r['rank_s']:>9.2f}{r['total_s']:>9.2f}{r['peak_mib']:>10.0f}")
    engine_result = results["engine (DuckDB SQL)"]
    print(
        f"target: total < 10 s, peak < 1536 MiB → "
        f"{'MET' if engine_result['total_s'] < 10 and engine_result['peak_mib'] < 1536 else 'MISSED'}"
    )
    if len(results) == 2:
        same = engine_result["ranking"] == results["naive (per-account Python)"]["ranking"]
        print(f"rankings identical: {same}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
