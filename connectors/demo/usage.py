"""Usage events: each user's activity, credential-sharing pairs and feature-gate hits."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import duckdb

from connectors.demo.accounts import Account, User
from connectors.demo.catalog import COLUMNS, OWN_FEATURES, TIER_IDS, TIERS
from connectors.demo.clock import USAGE_DAYS, Clock
from connectors.demo.vocabulary import DEPARTMENTS, REGIONS

EVENTS_PER_USER = (4, 17)  # events per active user, uniform; ~500 per account on average
EVENT_BAG = (
    ("login",) * 6
    + ("record_updated",) * 5
    + ("report_viewed",) * 4
    + ("workflow_completed",) * 3
    + ("feature_used",) * 2
    + ("export_created", "comment_added")
)


def make_users(acc: Account, rng: random.Random) -> list[User]:
    """Users whose event windows realise the archetype: utilisation, new departments, regions, sharing."""
    if acc.active == 0:
        return []
    arch, prefix = acc.arch, f"u-{acc.index:05d}-"
    new_dept = ("Marketing" if acc.index == 1 else DEPARTMENTS[-1 - rng.randrange(3)]) if arch.new_dept else ""
    n_new = min(acc.active - 1, 5 if acc.index == 1 else rng.randint(2, 6)) if new_dept else 0
    n_geo = min(acc.active - 1 - n_new, rng.randint(2, 6)) if arch.geo else 0
    n_core = acc.active - n_new - n_geo
    # established departments come from the first six, so they never collide with a new one
    depts = DEPARTMENTS[: max(1, min(n_core, 6, 1 + n_core // 12 + rng.randint(0, 2)))]
    users: list[User] = []

    def add(dept: str, region: str, lo: int, hi: int, recent: bool, pinned: int = 0) -> None:
        j = len(users) + 1
        users.append(User(f"{prefix}{j:03d}", dept, region, f"dev-{j:03d}a", lo, hi, recent, pinned))

    for j in range(n_core):  # the first user of each department pins its first event > 90 days ago
        add(depts[j % len(depts)], acc.region, 1, USAGE_DAYS - 1, True, rng.randint(95, 149) if j < len(depts) else 0)
    first_new = 24 if acc.index == 1 else rng.randint(10, 85)
    for j in range(n_new):
        add(new_dept, acc.region, 1, first_new, True, first_new if j == 0 else 0)
    other_region = [r for r in REGIONS if r != acc.region][rng.randrange(3)]
    first_geo = rng.randint(20, 80)
    for _ in range(n_geo):
        add(depts[0], other_region, 1, first_geo, True)
    inactive = 0 if acc.seats == 1 else int(acc.seats * 0.15 * rng.random())
    if arch.name == "boundary":  # one user whose latest event is exactly 30 days old: not active
        add(depts[0], acc.region, 30, USAGE_DAYS - 1, False, 30)
    for _ in range(inactive):
        add(depts[rng.randrange(len(depts))], acc.region, 30, USAGE_DAYS - 1, False)
    sharers = 2 if acc.index == 1 else rng.randint(1, arch.sharers) if arch.sharers else 0
    for j in range(min(sharers, n_core)):
        users[j] = replace(users[j], share_days=tuple(sorted(rng.sample(range(1, 30), rng.randint(3, 6)))))
    if arch.name == "boundary":  # paired logins on exactly 2 days in the window, a third just outside it
        users[0] = replace(users[0], share_days=(*sorted(rng.sample(range(1, 30), 2)), 30))
    return users


def usage_rows(acc: Account, users: list[User], rng: random.Random, clock: Clock) -> list[tuple[str, ...]]:
    """All usage rows of one account, sorted by ts; one device per user except deliberate sharing pairs."""
    r, ts, aid = rng.random, clock.ts, acc.account_id
    own = OWN_FEATURES[acc.tier]
    rows: list[tuple[str, ...]] = []
    bag, n_bag = EVENT_BAG, len(EVENT_BAG)
    ev_lo, ev_span = EVENTS_PER_USER[0], EVENTS_PER_USER[1] - EVENTS_PER_USER[0] + 1
    for u in users:
        ages = [1 + int(r() * min(29, u.hi))] if u.recent else []
        if u.pinned:
            ages.append(u.pinned)
        n = ev_lo + int(r() * ev_span) if u.recent else 1 + int(r() * 3)
        span = u.hi - u.lo + 1
        ages.extend(u.lo + int(r() * span) for _ in range(n - len(ages)))
        for age in ages:
            event = bag[int(r() * n_bag)]
            feature = own[int(r() * len(own))] if event == "feature_used" else ""
            rows.append((ts(age, 21600 + int(r() * 57600)), aid, u.uid, u.dept, u.region, event, feature, u.device))
        for age in u.share_days:
            start = 21600 + 300 * int(r() * 190) + int(r() * 60)  # both logins inside one aligned 5-min bucket
            rows.append((ts(age, start), aid, u.uid, u.dept, u.region, "login", "", u.device))
            rows.append(
                (ts(age, start + 30 + int(r() * 180)), aid, u.uid, u.dept, u.region, "login", "", u.device[:-1] + "b")
            )
    rows.extend(_gate_hits(acc, users, rng, clock))
    rows.sort()
    return rows


def _gate_hits(acc: Account, users: list[User], rng: random.Random, clock: Clock) -> list[tuple[str, ...]]:
    """Hits on next-tier features: the archetype's count in 90 days, plus older noise outside the window."""
    pos = TIER_IDS.index(acc.tier)
    if not users or pos + 1 >= len(TIERS):
        return []
    features = TIERS[pos + 1][2]
    core = [u for u in users if u.recent and u.hi == USAGE_DAYS - 1 and u.region == acc.region]
    lo, hi = acc.arch.gate_hits
    ages = [rng.randint(1, 89) for _ in range(rng.randint(lo, hi))]
    ages += [rng.randint(95, 149) for _ in range(rng.randint(0, 3) if rng.random() < 0.3 else 0)]
    if acc.arch.name == "boundary":
        ages.append(90)
    rows: list[tuple[str, ...]] = []
    for age in ages:
        u = core[rng.randrange(len(core))]
        feature = features[rng.randrange(len(features))]
        rows.append(
            (
                clock.ts(age, rng.randint(21600, 79199)),
                acc.account_id,
                u.uid,
                u.dept,
                u.region,
                "feature_gate_hit",
                feature,
                u.device,
            )
        )
    return rows


def csv_to_parquet(src: Path, dest: Path) -> None:
    """Stream the temporary CSV into Parquet with a TIMESTAMP ts; DuckDB keeps memory bounded."""
    types = ", ".join(f"'{c}': '{'TIMESTAMP' if c == 'ts' else 'VARCHAR'}'" for c in COLUMNS["usage_events.csv"])
    con = duckdb.connect(config={"threads": 2, "memory_limit": "256MB"})
    con.execute("SET enable_progress_bar = false")  # DuckDB draws it on stdout
    try:
        con.execute(
            f"COPY (SELECT * FROM read_csv({_sql_str(src)}, header = true, columns = {{{types}}}, "
            f"timestampformat = '%Y-%m-%dT%H:%M:%S')) TO {_sql_str(dest)} (FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        con.close()


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
