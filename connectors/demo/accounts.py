"""One generated account (its accounts.csv row) and its product users."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connectors.demo.archetypes import ACME, RENEWAL_EDGES, Archetype, Growth
from connectors.demo.catalog import MODULES, TIERS, module_total
from connectors.demo.vocabulary import NAME_HEADS, NAME_SUFFIXES, NAME_TAILS, REGIONS
from skills.days import add_months


@dataclass
class Account:
    """One generated account: its CSV row fields plus the knobs the other files follow."""

    index: int
    arch: Archetype
    k: int  # occurrence of the archetype, rotates its variants
    account_id: str
    name: str
    segment: str
    region: str
    currency: str
    tier: str
    products: list[str]
    seats: int
    active: int
    health: int
    trend: str
    contract_start: date
    renewal: date
    employees: tuple[int, int]
    revenue: tuple[int, int]
    integrations: int
    arr: int

    def row(self, industry: str, csm: str) -> tuple[Any, ...]:
        price = tier_price(self.tier)
        return (
            self.account_id,
            self.name,
            domain_of(self.name),
            industry,
            self.segment,
            self.region,
            csm,
            self.tier,
            ";".join(self.products),
            self.currency,
            self.arr,
            self.seats,
            price,
            self.contract_start.isoformat(),
            self.renewal.isoformat(),
            self.employees[0],
            self.employees[1],
            self.revenue[0],
            self.revenue[1],
            self.health,
            self.trend,
            self.integrations,
        )


@dataclass(frozen=True)
class User:
    """A product user; `lo`..`hi` bound the ages (days) of its events."""

    uid: str
    dept: str
    region: str
    device: str
    lo: int
    hi: int
    recent: bool  # at least one event in the last 30 days (counts as active)
    pinned: int = 0  # if > 0, one event exactly this many days old
    share_days: tuple[int, ...] = ()  # days with a two-device login pair inside one 5-minute window


def pick(options: tuple[Any, ...], k: int) -> Any:
    """Rotate categorical variants by occurrence so every one appears among the archetype's accounts."""
    return options[k % len(options)]


def tier_price(tier: str) -> int:
    return next(p for t, p, _ in TIERS if t == tier)


def domain_of(name: str) -> str:
    return "-".join(name.lower().split()) + ".com"


def _company_name(i: int) -> str:
    """Unique for any i: a fixed permutation of head × tail, then × suffix, then numbered."""
    if i == 1:
        return "Acme Analytics"
    base = len(NAME_HEADS) * len(NAME_TAILS)
    n = i - 2
    head_tail = (n % base) * 577 % base  # 577 is coprime with base, so this permutes the pairs
    name = f"{NAME_HEADS[head_tail // len(NAME_TAILS)]} {NAME_TAILS[head_tail % len(NAME_TAILS)]}"
    round_no = n // base
    if round_no == 0:
        return name
    suffix = NAME_SUFFIXES[(round_no - 1) % len(NAME_SUFFIXES)]
    extra = (round_no - 1) // len(NAME_SUFFIXES)
    return f"{name} {suffix}" + (f" {extra + 1}" if extra else "")


def _seats(segment: str, arch: Archetype, rng: random.Random) -> int:
    if arch.name == "one_seat_team":
        return 1
    if arch.name == "boundary":
        return 100
    if segment == "smb":
        seats = rng.randint(4, 25)
    elif segment == "mid_market":
        seats = rng.randint(20, 120)
    else:
        seats = 100 + int(500 * rng.random() ** 2)
    if arch.name == "blocked_growth":  # a multiple of 5, so 80% of the seats is a whole number of users
        return 5 * math.ceil(seats / 5)
    return seats


def _active_count(seats: int, arch: Archetype, k: int, rng: random.Random) -> int:
    """Active users (30d) hitting the archetype's utilisation band exactly, whatever the seat count."""
    lo, hi = arch.util
    if not arch.usage:
        return 0
    if arch.name == "one_seat_team":
        return rng.randint(int(lo), int(hi))
    if arch.name == "boundary":
        return 80 if k % 2 == 0 else 79
    if arch.name == "blocked_growth" and k % 2 == 0:
        return seats * 4 // 5
    low, high = max(1, math.ceil(lo * seats)), min(seats, math.floor(hi * seats))
    if low > high:  # band narrower than one seat: take the smallest count inside or above it
        return min(seats, low)
    return rng.randint(low, high)


def _grow(value: int, how: Growth, rng: random.Random) -> int:
    if how == "grow":
        return int(value * rng.uniform(1.1, 1.6))
    if how == "shrink":
        return int(value * rng.uniform(0.8, 0.95))
    return value


def _renewal_days(arch: Archetype, k: int, rng: random.Random) -> int:
    """Days from as_of to renewal; 'outside' avoids the 60-120 window so scores stay predictable."""
    kind = arch.renewal
    if kind == "edge":
        return RENEWAL_EDGES[k % len(RENEWAL_EDGES)]
    if kind == "boundary":
        return 59 if k % 4 < 2 else 121
    if kind == "long":
        return rng.randint(200, 400)
    if kind == "any":
        return rng.randint(10, 400)
    return rng.randint(10, 59) if rng.random() < 0.2 else rng.randint(121, 400)


def _contract_start(as_of: date, renewal: date, rng: random.Random) -> date:
    """A 12/24/36-month term ending at renewal, starting 3-48 months before as_of."""
    terms = [m for m in (12, 24, 36) if 90 <= (as_of - add_months(renewal, -m)).days <= 1460]
    return add_months(renewal, -rng.choice(terms))


def _employees(segment: str, rng: random.Random) -> int:
    low, high = {"smb": (10, 200), "mid_market": (200, 2000)}.get(segment, (2000, 40000))
    return rng.randint(low, high)


def make_account(i: int, arch: Archetype, k: int, rng: random.Random, as_of: date) -> Account:
    segment = arch.segments[rng.randrange(len(arch.segments))]
    region = REGIONS[rng.randrange(len(REGIONS))]
    employees = _employees(segment, rng)
    revenue = employees * rng.randint(90, 260) * 1000
    seats = _seats(segment, arch, rng)
    health_lo, health_hi = pick(arch.health, k)
    owned = [m[0] for m in MODULES if rng.random() < 0.3]
    fields: dict[str, Any] = {
        "segment": segment,
        "region": region,
        "currency": "USD" if region != "EMEA" else ("EUR", "GBP", "USD")[rng.randrange(3)],
        "tier": arch.tiers[rng.randrange(len(arch.tiers))],
        "products": owned[:2] if arch.topic == "module" else owned,  # cross_sell keeps >= 2 modules unowned
        "seats": seats,
        "active": _active_count(seats, arch, k, rng),
        "health": rng.randint(health_lo, health_hi),
        "trend": pick(arch.trends, k),
        "renewal": as_of + timedelta(days=_renewal_days(arch, k, rng)),
        "employees": (employees, _grow(employees, pick(arch.employees, k), rng)),
        "revenue": (revenue, _grow(revenue, pick(arch.revenue, k), rng)),
        "integrations": rng.randint(0, 8),
    }
    if i == 1:
        fields.update(ACME, renewal=as_of + timedelta(days=95))
    arr = fields["seats"] * tier_price(fields["tier"]) + module_total(fields["products"])
    return Account(
        index=i,
        arch=arch,
        k=k,
        account_id=f"ACC-{i:05d}",
        name=_company_name(i),
        arr=arr,
        contract_start=_contract_start(as_of, fields["renewal"], rng),
        **fields,
    )
