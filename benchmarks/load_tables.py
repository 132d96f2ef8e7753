"""CPU seconds and peak memory of loading a workspace's small tables (accounts, contacts, deals,
tickets, interactions, outcomes), against a baseline in the same run: the per-row loader this repo
used before issue 15 (csv.DictReader, then one pydantic validation per row).

    .venv/bin/expansion-desk demo --out /tmp/book-10k --accounts 10000 --parquet
    .venv/bin/python benchmarks/load_tables.py /tmp/book-10k [--repeat 3]

The best of `--repeat` runs is reported for each (the machine is shared; the best run is the one
least disturbed). Peak memory is measured with tracemalloc, per loader, in separate passes.
"""

from __future__ import annotations

import argparse
import csv
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from connectors.tables import read_table
from connectors.workspace import RECORD_FILES
from skills.snapshot import Account

FILES: list[tuple[str, type[BaseModel]]] = [("accounts.csv", Account)] + [(f, m) for f, (m, _) in RECORD_FILES.items()]


def per_row(path: Path, model: type[BaseModel], known: set[str] | None = None) -> list[Any]:
    """The baseline: what connectors/tables.py did before (minus its error reporting)."""
    lists = {n for n, f in model.model_fields.items() if "tuple" in str(f.annotation)}
    records = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            values: dict[str, Any] = {}
            for name in model.model_fields:
                raw = (row.get(name) or "").strip()
                if raw:
                    values[name] = tuple(p.strip() for p in raw.split(";") if p.strip()) if name in lists else raw
            record = model.model_validate(values)
            if known is None or getattr(record, "account_id", None) in known:
                records.append(record)
    return records


def load_all(directory: Path, load: Callable[..., list[Any]]) -> int:
    accounts = load(directory / "accounts.csv", Account)
    known = {a.account_id for a in accounts}
    return len(accounts) + sum(len(load(directory / f, m, known)) for f, m in FILES[1:])


def cpu(directory: Path, load: Callable[..., list[Any]], repeat: int) -> tuple[float, int]:
    best, rows = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        gc.disable()  # as Desk loads (server/desk.py gc_paused)
        started = time.process_time()
        rows = load_all(directory, load)
        best = min(best, time.process_time() - started)
        gc.enable()
    return best, rows


def peak_mb(directory: Path, load: Callable[..., list[Any]]) -> float:
    gc.collect()
    tracemalloc.start()
    load_all(directory, load)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base_cpu, base_rows = cpu(args.workspace, per_row, args.repeat)
    new_cpu, new_rows = cpu(args.workspace, read_table, args.repeat)
    assert base_rows == new_rows, (base_rows, new_rows)
    base_mem, new_mem = peak_mb(args.workspace, per_row), peak_mb(args.workspace, read_table)
    print(f"rows loaded: {new_rows:,}")
    print(f"baseline (per-row pydantic): {base_cpu:.3f} s CPU, peak {base_mem:.0f} MB")
    print(f"column-wise loader:          {new_cpu:.3f} s CPU, peak {new_mem:.0f} MB")
    print(f"ratio (new / baseline): CPU {new_cpu / base_cpu:.2f}, memory {new_mem / base_mem:.2f}")


if __name__ == "__main__":
    main()
