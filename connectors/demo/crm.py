"""Contacts, deals and support tickets."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from connectors.demo.accounts import Account, pick, tier_price
from connectors.demo.catalog import MODULES, module_total
from connectors.demo.clock import Clock
from connectors.demo.vocabulary import DEPARTMENTS, FIRST_NAMES, TICKET_SUBJECTS, TITLES


def contact_rows(acc: Account, rng: random.Random, clock: Clock) -> list[tuple[Any, ...]]:
    """A champion whose state the archetype sets (the readiness gate reads it), then the rest."""
    n = {"smb": (2, 4), "mid_market": (3, 6)}.get(acc.segment, (4, 8))
    roles = ["champion", "economic_buyer"] + [rng.choice(("power_user", "user")) for _ in range(rng.randint(*n) - 2)]
    state = pick(acc.arch.champion, acc.k)
    rows = []
    for j, role in enumerate(roles, start=1):
        status, age = "active", rng.randint(3, 120)
        if role == "champion":
            status, age = {
                "engaged": ("active", rng.randint(1, 40)),
                "boundary": ("active", 59),
                "stale": ("active", 60 if acc.k % 2 == 0 else rng.randint(75, 200)),
                "left": ("left", rng.randint(90, 300)),
            }[state]
        elif rng.random() < 0.08:
            status = "left"
        rows.append(
            (
                f"CON-{acc.index:05d}-{j:02d}",
                acc.account_id,
                FIRST_NAMES[rng.randrange(len(FIRST_NAMES))],
                rng.choice(TITLES[role]),
                role,
                DEPARTMENTS[rng.randrange(6)],
                status,
                clock.day(age),
            )
        )
    return rows


def deal_rows(acc: Account, rng: random.Random, clock: Clock) -> list[tuple[Any, ...]]:
    """The won initial deal at contract_start, an open renewal when it is near, and a few expansion attempts."""
    rows: list[tuple[Any, ...]] = []

    def add(name: str, amount: int, stage: str, kind: str, day: date, products: list[str]) -> None:
        rows.append(
            (
                f"DEAL-{acc.index:05d}-{len(rows) + 1:02d}",
                acc.account_id,
                f"{acc.name} - {name}",
                amount,
                stage,
                kind,
                day.isoformat(),
                ";".join(products),
            )
        )

    initial = acc.products[: rng.randint(0, len(acc.products))]
    base = max(1, int(acc.seats * rng.uniform(0.6, 1.0))) * tier_price(acc.tier)
    add("Initial subscription", base + module_total(initial), "won", "new", acc.contract_start, initial)
    if (acc.renewal - clock.as_of).days <= 120:
        add(f"Renewal {acc.renewal.year}", acc.arr, "open", "renewal", acc.renewal, acc.products)
    for _ in range(rng.randint(0, 2)):
        stage = ("won", "lost", "open")[rng.randrange(3)]
        module = MODULES[rng.randrange(len(MODULES))]
        tenure = (clock.as_of - acc.contract_start).days
        when = (
            clock.as_of + timedelta(days=rng.randint(15, 90))
            if stage == "open"
            else (acc.contract_start + timedelta(days=rng.randint(1, tenure - 1)))
        )
        if rng.random() < 0.5:
            add(f"{module[1]} add-on", module[2], stage, "expansion", when, [module[0]])
        else:
            seats = 5 * rng.randint(1, 4)
            add(f"{seats} additional seats", seats * tier_price(acc.tier), stage, "expansion", when, [])
    return rows


def ticket_rows(acc: Account, rng: random.Random, clock: Clock) -> list[tuple[Any, ...]]:
    """Mostly resolved history; open P3/P4 noise; an open or pending P1/P2 only where the archetype blocks."""
    rows = []
    specs: list[tuple[str, str, int]] = []
    for _ in range(rng.randint(0, 5)):
        priority = ("P1", "P2", "P2", "P3", "P3", "P3", "P4", "P4")[rng.randrange(8)]
        specs.append((priority, ("solved", "closed")[rng.randrange(2)], rng.randint(20, 365)))
    if rng.random() < 0.3:
        specs.append((("P3", "P4")[rng.randrange(2)], ("open", "pending")[rng.randrange(2)], rng.randint(1, 30)))
    if acc.arch.blocker:
        specs.append(("P1", "open", rng.randint(1, 12)) if acc.k % 2 == 0 else ("P2", "pending", rng.randint(2, 20)))
    for j, (priority, status, age) in enumerate(sorted(specs, key=lambda s: -s[2]), start=1):
        subject = rng.choice(TICKET_SUBJECTS[priority])
        rows.append((f"TKT-{acc.index:05d}-{j:02d}", acc.account_id, priority, status, clock.day(age), subject))
    return rows
