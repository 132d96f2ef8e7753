"""Deterministic demo workspace generator (SPEC §2 files, shaped to exercise every SPEC §3 rule).

Why: the bundled demo is the default data source, and benchmarks need the same shape at 10,000
accounts. Everything derives from `seed` and `as_of` through `random.Random` (no wall clock, no
set ordering), so the same arguments always give the same bytes. Usage events are streamed per
account, so memory stays flat however many accounts are generated.

Account N gets archetype ARCHETYPES[(N - 1) % 13]; ranges inside an archetype are random and its
categorical variants rotate by occurrence, so every variant appears in the 200-account demo.
About 30% of accounts also get a few feature-gate hits older than 90 days (outside every window).
Before the current window each account also gets ~21 months of history from its own RNG stream
(connectors/demo/history.py): usage, interactions, outcomes, expansion deals that follow the
signals with noise, and `arr_history.csv`; it changes none of the current-day results below.
Expected results under the SPEC §3 defaults (u = utilisation, k = occurrence of the archetype):

- seat_crunch: u 0.86-1.0, credential sharing on >= 3 days, a department new in the last 90 days,
  recent outcome, promoter NPS, headcount growth -> priority, seat_growth, gate passes.
  Account 1 is this archetype pinned by hand: "Acme Analytics", 40 seats, 37 active users,
  a new Marketing department, two sharing users, 340 hours saved in Q3, NPS 9.
- tier_upgrade: starter/growth plan, 3-8 next-tier feature-gate hits in 90 days (plus older ones),
  asks for a next-tier feature ("Can we get SSO?"), recent outcome, promoter NPS older than 60
  days -> ready, tier_upgrade.
- cross_sell: names an unowned module's keyword in the last 90 days, latest NPS a detractor after an
  earlier promoter -> candidate, cross_sell. ACC-00003 also carries the prompt-injection email.
- geo_expansion: 2-6 users active from another region in the last 90 days -> candidate,
  geographic_expansion.
- multi_year: renewal 59/60/120/121/90/150/175/30 days out (rotating), health >= 72 ->
  not_yet or candidate, multi_year_renewal.
- adoption_help: low utilisation, renewal 200-400 days out, no signals; an old (> 90 days) keyword
  mention; outcomes old or none -> not_yet, professional_services; the gate fails on no outcome or
  on health 55-69 without an up trend.
- one_seat_team: smb with exactly 1 seat and 2-5 active users -> ready, seat_growth; no outcome every
  other one (gate fails).
- at_risk: health 25-49 or 50-69 with trend down, open/pending P1 or P2, champion left, detractor
  NPS (recent, or old with no contact in 60 days) -> not_yet, professional_services, gate fails.
- stale_champion: healthy usage, champion last engaged >= 60 days ago, no interaction in 60 days,
  no outcome (every other one) -> not_yet, multi_year_renewal or professional_services, gate fails.
- blocked_growth: u 0.80-0.90 (an exact 0.80 every other one), sharing, recent outcome, but an
  open P1 / pending P2 ticket -> ready, seat_growth, blocked by open_critical_ticket.
- boundary: every day-rule edge. 100 seats with exactly 80 (k even) or 79 active users; a user
  whose latest event is exactly 30 days old; a user sharing on exactly 2 days in the window plus
  one 30 days ago; 2 gate hits in 90 days plus one exactly 90 days ago; outcome 89 days ago; NPS 8
  and champion engagement exactly 59 days ago; health exactly 70; renewal 59 or 121 days
  -> priority seat_growth (0.80) or ready multi_year_renewal (0.79).
- recovering: health 50-69 trending up, a department new in the last 90 days, recent outcome
  -> candidate, seat_growth via organic spread, gate passes.
- dormant: no usage at all, health 15-40 down, old contact only -> not_yet, professional_services.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from connectors.demo.accounts import make_account
from connectors.demo.archetypes import ARCHETYPES
from connectors.demo.catalog import CATALOG, COLUMNS
from connectors.demo.clock import Clock
from connectors.demo.conversations import interaction_rows, outcome_rows
from connectors.demo.crm import contact_rows, deal_rows, ticket_rows
from connectors.demo.history import history_rows
from connectors.demo.usage import csv_to_parquet, make_users, usage_rows
from connectors.demo.vocabulary import CSMS, INDUSTRIES


class DemoSummary(BaseModel):
    """What generate_workspace wrote, for CLIs and benchmarks."""

    accounts: int
    usage_events: int
    files: list[str]


def generate_workspace(
    out_dir: Path,
    accounts: int = 200,
    seed: int = 7,
    as_of: date = date(2026, 11, 23),
    usage_format: Literal["csv", "parquet"] = "csv",
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the SPEC §2 files for `accounts` demo accounts into `out_dir`; same arguments, same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    usage_name = f"usage_events.{usage_format}"
    stale = out_dir / ("usage_events.csv" if usage_format == "parquet" else "usage_events.parquet")
    stale.unlink(missing_ok=True)  # a leftover of the other format would shadow or contradict this one
    usage_csv = out_dir / (".usage_events.tmp.csv" if usage_format == "parquet" else "usage_events.csv")
    clock = Clock(as_of)
    events = 0
    with _writers(out_dir, usage_csv) as writers:
        for i in range(1, accounts + 1):
            events += _write_account(i, seed, clock, writers)
            if progress:
                progress(i, accounts)
    if usage_format == "parquet":
        try:
            csv_to_parquet(usage_csv, out_dir / usage_name)
        finally:
            usage_csv.unlink()
    (out_dir / "catalog.json").write_text(json.dumps(CATALOG, indent=2) + "\n", encoding="utf-8")
    manifest = {"as_of": as_of.isoformat(), "description": f"Expansion Desk demo: {accounts} accounts, seed {seed}"}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    files = [f for f in COLUMNS if f != "usage_events.csv"] + [usage_name, "catalog.json", "manifest.json"]
    return DemoSummary(accounts=accounts, usage_events=events, files=files)


@contextmanager
def _writers(out_dir: Path, usage_csv: Path) -> Iterator[dict[str, Any]]:
    """One csv.writer per file, headers written, all open while accounts stream through."""
    with ExitStack() as stack:
        writers: dict[str, Any] = {}
        for name, columns in COLUMNS.items():
            path = usage_csv if name == "usage_events.csv" else out_dir / name
            handle = stack.enter_context(path.open("w", newline="", encoding="utf-8"))
            writers[name] = csv.writer(handle, lineterminator="\n")
            writers[name].writerow(columns)
        yield writers


def _write_account(i: int, seed: int, clock: Clock, writers: dict[str, Any]) -> int:
    """Generate every row of account `i` from its own RNG, so accounts are independent of each other."""
    rng = random.Random(f"expansion-desk-demo:{seed}:{i}")
    arch = ARCHETYPES[(i - 1) % len(ARCHETYPES)]
    acc = make_account(i, arch, (i - 1) // len(ARCHETYPES), rng, clock.as_of)
    writers["accounts.csv"].writerow(acc.row(rng.choice(INDUSTRIES), CSMS[rng.randrange(len(CSMS))]))
    writers["contacts.csv"].writerows(contact_rows(acc, rng, clock))
    deals = deal_rows(acc, rng, clock)
    tickets = ticket_rows(acc, rng, clock)
    interactions = interaction_rows(acc, rng, clock)
    outcomes = outcome_rows(acc, rng, clock)
    users = make_users(acc, rng)
    rows = usage_rows(acc, users, rng, clock)
    past = history_rows(acc, users, seed, clock, deals)  # its own RNG: the rows above stay as they were
    writers["deals.csv"].writerows(deals + past.deals)
    writers["tickets.csv"].writerows(tickets)
    writers["interactions.csv"].writerows(past.interactions + interactions)
    writers["outcomes.csv"].writerows(past.outcomes + outcomes)
    writers["usage_events.csv"].writerows(past.usage + rows)
    writers["arr_history.csv"].writerows(past.arr)
    return len(past.usage) + len(rows)
