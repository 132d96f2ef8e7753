"""`rank --json` on a big book against the floor and the naive way, CPU and peak memory side by side.

Three paths, each run twice in a child process of its own, over the same usage file: wall and CPU
seconds (user + system of that child, its threads and the processes it forks) from a run left alone,
peak memory from a second run whose memory is sampled (the larger of its largest process's maximum
resident set and its process tree's proportional set size; sampling stalls the process measured):

- project: `python -m server.cli rank --json --workspace DIR` (everything: import, load, SQL,
  scoring, writing the JSON), and `rank --limit 20` (the README's table: the book ranked by
  standing, only the printed accounts assessed);
- floor: one bare DuckDB statement computing the same per-account usage aggregates
  (`shared/tools/usage_floor.py`, looked up beside the repository or any folder above it);
- naive: every event a Python tuple, per-account loops (10,000 accounts only by default).

Ratios are project / floor from the same run (wall too: on a shared machine the floor's own wall
time moves by 2x from one day to the next, and the ratio keeps a wall target comparable). Books are generated once into --data-dir and reused:
`<accounts>/` (Parquet usage) and `<accounts>-csv/` (the same events as CSV).

    python benchmarks/rank_book.py [--accounts 10000|100000] [--data-dir DIR] [--formats parquet,csv] [--naive]
                                   [--jobs auto,1] [--top 20] [--events current]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 23)
REPO = Path(__file__).resolve().parent.parent


def floor_script() -> Path:
    for folder in (REPO, *REPO.parents):
        candidate = folder / "shared" / "tools" / "usage_floor.py"
        if candidate.is_file():
            return candidate
    raise SystemExit("usage_floor.py not found in shared/tools beside the repository or above it")


def book(data_dir: Path, accounts: int, usage_format: str, seed: int, events: str = "all") -> Path:
    """The generated book, made once: Parquet by the generator; CSV, and the current-window book
    (`events="current"`: the usage events older than any current-day rule reads dropped, the
    workload the issue names, ~500 events an account), derived from it by DuckDB."""
    parquet = data_dir / str(accounts)
    if not (parquet / f".generated-{accounts}-{seed}").is_file():
        from connectors.demo import generate_workspace

        started = time.perf_counter()
        print(f"generating {accounts:,} accounts into {parquet} (once) ...", flush=True)
        summary = generate_workspace(parquet, accounts=accounts, seed=seed, as_of=AS_OF, usage_format="parquet")
        marker = {
            "accounts": summary.accounts,
            "events": summary.usage_events,
            "seconds": time.perf_counter() - started,
        }
        (parquet / f".generated-{accounts}-{seed}").write_text(json.dumps(marker))
    if usage_format == "parquet" and events == "all":
        return parquet
    from connectors.demo.history import HISTORY_FROM_AGE

    cutoff = AS_OF - timedelta(days=HISTORY_FROM_AGE)
    where = f"WHERE ts >= TIMESTAMP '{cutoff}'" if events == "current" else ""
    suffix = ("-current" if events == "current" else "") + ("-csv" if usage_format == "csv" else "")
    return derived(parquet, data_dir / f"{accounts}{suffix}", where, usage_format)


def derived(parquet: Path, folder: Path, where: str, usage_format: str) -> Path:
    """`parquet`'s book with its usage events filtered by `where` and written as `usage_format`, once."""
    target = folder / f"usage_events.{usage_format}"
    if target.is_file():
        return folder
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    for file in parquet.iterdir():
        if file.is_file() and file.name != "usage_events.parquet":
            shutil.copy2(file, folder / file.name)
    tmp = folder / f".usage_events.tmp.{usage_format}"
    source = str(parquet / "usage_events.parquet").replace("'", "''")
    options = "(HEADER)" if usage_format == "csv" else "(FORMAT PARQUET)"
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{source}') {where}) TO '{tmp}' {options}")
    tmp.rename(target)
    return folder


def measured(command: list[str], stdout: Path | None = None) -> dict[str, float]:
    """Runs `command` twice, each time in a fresh child (through this script) so its rusage is its
    own: once untouched for wall and CPU time, once with its memory sampled for the peak. Reading a
    process's proportional set size holds its memory-map lock, which stalls the process: at 100,000
    accounts, `rank --limit 20` took 22.6-23.0 s sampled against 16.6-17.8 s not, for the same CPU."""
    figures = _probe(command, stdout, sample=False)
    figures["peak_mib"] = _probe(command, stdout, sample=True)["peak_mib"]
    return figures


def _probe(command: list[str], stdout: Path | None, *, sample: bool) -> dict[str, float]:
    mode = "--measure" if sample else "--measure-time"
    probe = [sys.executable, __file__, mode, json.dumps(command), str(stdout or os.devnull)]
    done = subprocess.run(probe, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of `pid` and its descendants: shared pages split among their sharers, so
    a forked worker's copy-on-write pages count once (a sum of resident sizes would count them twice)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            total += next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            total += sum(tree_pss_kib(int(child)) for child in children.read().split())
    except OSError:  # the process ended while being read
        pass
    return total


SAMPLING_SHARE = 0.02
"""Most of one core the PSS sampling may take: reading the smaps_rollup of `rank` at 100,000 accounts
(2.4 GB resident) took 72 ms of CPU, and holds that process's memory-map lock meanwhile; every
0.2 s, that was a third of a core taken from the command measured on a 2-core machine."""


def run_measured(command: list[str], stdout: str, sample: bool = True) -> None:
    """CPU = user + system of the command and every process it waited for; peak = the larger of its
    largest process's resident set and (when `sample`) its whole process tree's PSS, sampled every
    0.2 s, or less often when a sample costs more than SAMPLING_SHARE of a core."""
    started = time.perf_counter()
    tree_peak = 0
    with open(stdout, "wb") as sink:
        child = subprocess.Popen(command, stdout=sink)
        while sample and child.poll() is None:
            sampling = time.perf_counter()
            tree_peak = max(tree_peak, tree_pss_kib(child.pid))
            time.sleep(max(0.2, (time.perf_counter() - sampling) / SAMPLING_SHARE))
        child.wait()
    wall = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(child.returncode)
    peak = max(used.ru_maxrss, tree_peak) / 1024
    print(json.dumps({"wall_s": wall, "cpu_s": used.ru_utime + used.ru_stime, "peak_mib": peak}))


def ranking_of(json_file: Path) -> list[str]:
    """Account ids in order from `rank --json` output, without loading the whole document."""
    prefix = '    "account_id": "'
    with json_file.open(encoding="utf-8") as handle:
        return [line[len(prefix) : line.rindex('"')] for line in handle if line.startswith(prefix)]


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


def naive_path(directory: Path, out: Path) -> None:
    """Every event pulled into Python objects, grouped per account, aggregated in loops; every account
    assessed and the list dumped with the standard library's json."""
    import duckdb
    from pydantic_core import to_jsonable_python

    from connectors.tables import group_by_account, read_table
    from skills.assessment import assess, peer_metrics, rank_order
    from skills.catalog import Catalog
    from skills.proposal.benchmarks import segment_peers
    from skills.rules import Rules
    from skills.snapshot import Account, AccountSnapshot, Contact, Deal, Interaction, Outcome, Ticket
    from skills.usage.aggregate import no_usage

    rules = Rules().with_catalog(Catalog.model_validate_json((directory / "catalog.json").read_text()))
    accounts = read_table(directory / "accounts.csv", Account)
    records = {
        name: group_by_account(read_table(directory / f"{name}.csv", model))
        for name, model in (
            ("contacts", Contact),
            ("deals", Deal),
            ("tickets", Ticket),
            ("interactions", Interaction),
            ("outcomes", Outcome),
        )
    }
    usage_file = next(directory / f for f in ("usage_events.parquet", "usage_events.csv") if (directory / f).is_file())
    reader = "read_parquet" if usage_file.suffix == ".parquet" else "read_csv"
    events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    cursor = duckdb.connect().execute(
        f"SELECT CAST(ts AS TIMESTAMP), account_id, user_id, department, region, event, feature, device_id "
        f"FROM {reader}('{usage_file}')"
    )
    while batch := cursor.fetchmany(200_000):
        for row in batch:
            events[row[1]].append(row)
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
    peers = segment_peers(peer_metrics(s.account, s.usage) for s in snapshots)
    ranked = sorted((assess(s, peers, rules) for s in snapshots), key=rank_order)
    out.write_text(json.dumps(to_jsonable_python(ranked), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def verdict(usage_format: str, accounts: int, project: dict[str, float], floor: dict[str, float]) -> str:
    """The issue's target for this book and format, and whether the project met it."""
    if usage_format == "parquet" and accounts <= 10_000:
        ok = project["cpu_s"] / floor["cpu_s"] <= 3 and project["peak_mib"] / floor["peak_mib"] <= 3
        return f"parquet target CPU ≤ 3x floor and peak ≤ 3x floor's: {'MET' if ok else 'MISSED'}"
    if usage_format == "parquet":
        ok = project["wall_s"] < 30 and project["peak_mib"] < 2560
        return f"parquet target < 30 s wall and < 2.5 GiB: {'MET' if ok else 'MISSED'}"
    ok = project["wall_s"] < 10 and project["peak_mib"] < 1536
    return f"csv target < 10 s wall and < 1.5 GiB: {'MET' if ok else 'MISSED'}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--measure", "--measure-time"):
        run_measured(json.loads(sys.argv[2]), sys.argv[3], sample=sys.argv[1] == "--measure")
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--naive-child":
        naive_path(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("EXPANSION_DESK_BENCH_DATA", Path(tempfile.gettempdir()) / "expansion-desk-bench")),
        help="where generated books are kept and reused ($EXPANSION_DESK_BENCH_DATA)",
    )
    parser.add_argument("--formats", default="parquet,csv", help="usage file formats to run, comma-separated")
    parser.add_argument(
        "--naive", choices=["auto", "yes", "no"], default="auto", help="auto: only up to 10,000 accounts"
    )
    parser.add_argument(
        "--events",
        choices=["all", "current"],
        default="all",
        help="all: the generated ~21 months; current: only what current-day rules read (the issue's workload)",
    )
    parser.add_argument(
        "--jobs", default="auto", help="rank --jobs values to run, comma-separated; auto: the project's default"
    )
    parser.add_argument(
        "--top",
        default="20",
        help="rank --limit values to run as the README's table (the main job), comma-separated; '' for none",
    )
    args = parser.parse_args()
    floor = floor_script()
    run_naive = args.naive == "yes" or (args.naive == "auto" and args.accounts <= 10_000)
    rows: list[tuple[str, str, dict[str, float]]] = []
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for usage_format in [f.strip() for f in args.formats.split(",") if f.strip()]:
            folder = book(args.data_dir, args.accounts, usage_format, args.seed, args.events)
            usage = folder / f"usage_events.{usage_format}"
            count = ""
            if usage_format == "parquet":
                import duckdb

                found = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{usage}')").fetchone()
                count = f", {found[0] if found else 0:,} events"
            print(
                f"{usage_format}: {folder} ({usage.stat().st_size / 2**20:,.0f} MiB of usage events{count})", flush=True
            )
            floor_figures = measured([sys.executable, str(floor), str(usage), AS_OF.isoformat()])
            project_out = Path(tmp) / "project.json"
            rank = [sys.executable, "-m", "server.cli", "rank", "--json", "--workspace", str(folder)]
            rows.append((usage_format, "floor (one DuckDB statement)", floor_figures))
            for jobs in [j.strip() for j in args.jobs.split(",") if j.strip()]:
                extra = [] if jobs == "auto" else ["--jobs", jobs]
                project = measured([*rank, "--as-of", AS_OF.isoformat(), *extra], project_out)
                label = f"project rank --json {' '.join(extra)}".strip()
                rows.append((usage_format, label, project))
                verdicts.append(f"{label}: {verdict(usage_format, args.accounts, project, floor_figures)}")
            for top in [t.strip() for t in args.top.split(",") if t.strip()]:
                table = measured([sys.executable, "-m", "server.cli", "rank", "--limit", top, "--workspace",
                                  str(folder), "--as-of", AS_OF.isoformat()])  # fmt: skip
                rows.append((usage_format, f"project rank --limit {top} (table)", table))
            if run_naive:
                naive_out = Path(tmp) / "naive.json"
                figures = measured([sys.executable, __file__, "--naive-child", str(folder), str(naive_out)])
                rows.append((usage_format, "naive (per-account Python)", figures))
                same = ranking_of(project_out) == ranking_of(naive_out)
                verdicts.append(f"{usage_format}: project and naive rankings identical: {same}")
            project_out.unlink(missing_ok=True)
    floors = {fmt: f for fmt, name, f in rows if name.startswith("floor")}
    print(f"\n{args.accounts:,} accounts, as of {AS_OF}")
    print(
        f"{'usage':<9}{'path':<35}{'wall s':>8}{'CPU s':>8}{'peak MiB':>10}"
        f"{'wall x floor':>14}{'CPU x floor':>13}{'peak x floor':>14}"
    )
    for fmt, name, f in rows:
        base = floors[fmt]
        print(
            f"{fmt:<9}{name:<35}{f['wall_s']:>8.2f}{f['cpu_s']:>8.2f}{f['peak_mib']:>10.0f}"
            f"{f['wall_s'] / base['wall_s']:>14.2f}{f['cpu_s'] / base['cpu_s']:>13.2f}{f['peak_mib'] / base['peak_mib']:>14.2f}"
        )
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
