"""History before the current window: ~21 months of usage, interactions, outcomes, won and lost
expansion deals, and month-end ARR, so the backtest (SPEC §5) and NRR (SPEC §6) have something real.

Every row here is at least `HISTORY_FROM_AGE` days old, older than anything the current-day rules
read (30/90-day windows, 13 weekly capacity checkpoints), and comes from its own RNG stream: the
current window's rows, and so each archetype's current-day behaviour, are the same with or without
it. Rows that would change today's answers are never written: no outcome for an account with none
today (the readiness gate reads "an outcome ever"), no NPS newer than today's oldest nor for an account
with none today (the promoter rule reads the latest score), no usage from the departments or regions that are new today.

The story, per history month of an account's tenure:
- an expansion episode starts with a probability set by the archetype (growth kinds more often).
  Its signals each appear with their own chance: capacity (utilisation 0.85-1.0 for two months),
  a reported outcome, feature-gate hits on next-tier features, a promoter NPS. Most episodes end
  in a won expansion deal 20-150 days later; some are lost, some have no deal at all;
- outside episodes the same signals appear as noise at lower rates; promoter NPS is common
  (weakly predictive), a module keyword in a call is equally likely in and out of episodes
  (not predictive at all), and the generator's older random expansion deals are wins with no signal.
ARR goes back from today's figure: each won expansion deal added its amount, some at-risk and
adoption-help accounts contracted at an anniversary, and one dormant account in three churned
(its ARR rows stop 1-4 months ago; a missing month counts as 0).
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connectors.demo.accounts import Account, User, tier_price
from connectors.demo.catalog import MODULES, TIER_IDS, TIERS
from connectors.demo.clock import Clock
from connectors.demo.vocabulary import MODULE_ASKS, NPS_NOTES, OUTCOME_TEMPLATES
from skills.days import add_months

HISTORY_FROM_AGE = 150  # history rows are at least this many days old (the current window is younger)
HISTORY_TO_AGE = 640  # ~21 months of usage: 12 default backtest points with a 180-day horizon
NPS_FROM_AGE = 201  # older than every current-window NPS row (those are at most 200 days old)
ARR_MONTHS = 24
EPISODE_RATE = {"seat_crunch": 0.1, "tier_upgrade": 0.1, "blocked_growth": 0.09, "recovering": 0.08}
QUIET_RATE = {"at_risk": 0.012, "dormant": 0.008, "adoption_help": 0.015, "stale_champion": 0.02}
DEFAULT_RATE = 0.06
EVENTS = ("login", "login", "record_updated", "report_viewed", "workflow_completed", "feature_used")


@dataclass
class History:
    usage: list[tuple[str, ...]] = field(default_factory=list)
    interactions: list[tuple[Any, ...]] = field(default_factory=list)
    outcomes: list[tuple[Any, ...]] = field(default_factory=list)
    deals: list[tuple[Any, ...]] = field(default_factory=list)
    arr: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    first: date
    days: tuple[date, ...]  # the days events may fall on: the 3rd-28th, old enough, after signing


def _months(acc: Account, clock: Clock) -> list[Month]:
    """History months from ~21 months ago to the current window, oldest first, within the tenure."""
    oldest = clock.as_of - timedelta(days=HISTORY_TO_AGE)
    newest = clock.as_of - timedelta(days=HISTORY_FROM_AGE)
    months, first = [], oldest.replace(day=1)
    while first <= newest:
        days = tuple(
            d for d in (first.replace(day=n) for n in range(3, 29)) if oldest <= d <= newest and d >= acc.contract_start
        )
        if days:
            months.append(Month(first, days))
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def _ts(d: date, rng: random.Random) -> str:
    s = rng.randint(21600, 79199)
    return f"{d.isoformat()}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class _Writer:
    def __init__(self, acc: Account, rng: random.Random, has_outcomes: bool, has_nps: bool) -> None:
        self.acc, self.rng, self.has_outcomes, self.has_nps = acc, rng, has_outcomes, has_nps
        self.out = History()

    def outcome(self, d: date) -> None:
        if not self.has_outcomes:
            return
        metric, unit, text, (lo, hi) = OUTCOME_TEMPLATES[self.rng.randrange(len(OUTCOME_TEMPLATES))]
        value = self.rng.randint(lo, hi)
        q = f"Q{(d.month - 1) // 3 or 4}"
        cur = self.acc.currency
        self.out.outcomes.append(
            (
                self.acc.account_id,
                d.isoformat(),
                metric,
                value,
                unit.format(cur=cur),
                text.format(v=value, q=q, cur=cur),
            )
        )

    def note(self, d: date, source: str, text: str, nps: str = "") -> None:
        iid = f"INT-{self.acc.index:05d}-H{len(self.out.interactions) + 1:02d}"
        self.out.interactions.append((iid, self.acc.account_id, _ts(d, self.rng), source, text, nps))

    def nps(self, d: date, promoter: bool, clock: Clock) -> None:
        if not self.has_nps or (clock.as_of - d).days < NPS_FROM_AGE:
            return
        score = self.rng.randint(9, 10) if promoter else self.rng.choice((3, 5, 6, 7, 7, 8))
        mood = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        self.note(d, "nps", self.rng.choice(NPS_NOTES[mood]), str(score))

    def module_mention(self, d: date) -> None:
        unowned = [m for m, *_ in MODULES if m not in self.acc.products]
        if unowned:
            module = unowned[self.rng.randrange(len(unowned))]
            self.note(d, "call", MODULE_ASKS[module][self.rng.randrange(2)])

    def deal(self, d: date, stage: str) -> None:
        acc, rng = self.acc, self.rng
        if rng.random() < 0.5 or acc.seats <= 1:
            module = MODULES[rng.randrange(len(MODULES))]
            name, amount, products = f"{module[1]} add-on", module[2], module[0]
        else:
            seats = max(5, 5 * round(acc.seats * rng.uniform(0.1, 0.3) / 5))
            name, amount, products = f"{seats} additional seats", seats * tier_price(acc.tier), ""
        deal_id = f"DEAL-{acc.index:05d}-H{len(self.out.deals) + 1:02d}"
        self.out.deals.append(
            (deal_id, acc.account_id, f"{acc.name} - {name}", amount, stage, "expansion", d.isoformat(), products)
        )


def history_rows(acc: Account, users: list[User], seed: int, clock: Clock, deals: list[tuple[Any, ...]]) -> History:
    """Every history row of one account, from its own RNG (the current rows are untouched)."""
    rng = random.Random(f"expansion-desk-demo-history:{seed}:{acc.index}")
    has_outcomes = acc.arch.outcome[acc.k % len(acc.arch.outcome)] != "none"
    has_nps = acc.arch.nps[acc.k % len(acc.arch.nps)] != "none"
    w = _Writer(acc, rng, has_outcomes, has_nps)
    months = _months(acc, clock)
    core = [u for u in users if u.recent and u.region == acc.region and u.hi == 149 and not u.share_days]
    core = core or [u for u in users if u.region == acc.region]
    depts = sorted({u.dept for u in core}) or ["Operations"]
    baseline = min(0.72, acc.active / acc.seats if acc.seats else 0.5) if acc.arch.usage else 0.45
    rate = EPISODE_RATE.get(acc.arch.name, QUIET_RATE.get(acc.arch.name, DEFAULT_RATE))
    tiers_up = TIERS[TIER_IDS.index(acc.tier) + 1][2] if TIER_IDS.index(acc.tier) + 1 < len(TIERS) else ()
    hot: set[int] = set()  # months at capacity
    gate_months: set[int] = set()
    cooldown = 0
    for m, month in enumerate(months):
        mid = month.days[len(month.days) // 2]
        if cooldown > 0:
            cooldown -= 1
        elif rng.random() < rate:
            cooldown = 6
            if rng.random() < 0.8:
                hot.update((m, m + 1))
            if rng.random() < 0.7:
                w.outcome(month.days[rng.randrange(len(month.days))])
            if rng.random() < 0.65:
                gate_months.add(m)
            if rng.random() < 0.5:
                w.nps(mid, True, clock)
            if rng.random() < 0.12:
                w.module_mention(month.days[rng.randrange(len(month.days))])
            fate = rng.random()
            close = mid + timedelta(days=rng.randint(60, 170))
            if fate < 0.75 and close < clock.as_of:
                w.deal(close, "won")
            elif fate < 0.87 and close < clock.as_of:
                w.deal(close, "lost")
        # noise, episode or not
        if rng.random() < 0.02:
            hot.add(m)
        if rng.random() < 0.035:
            w.outcome(month.days[rng.randrange(len(month.days))])
        if rng.random() < 0.03:
            gate_months.add(m)
        if rng.random() < 0.07:
            w.nps(month.days[rng.randrange(len(month.days))], rng.random() < 0.6, clock)
        if rng.random() < 0.12:
            w.module_mention(month.days[rng.randrange(len(month.days))])
        if rng.random() < 0.004 and month.days[0] + timedelta(days=60) < clock.as_of:
            w.deal(month.days[0] + timedelta(days=rng.randint(20, 60)), "won")  # a win no signal announced
    _usage(w, acc, months, core, depts, baseline, hot, gate_months, tiers_up)
    w.out.arr = _arr_history(acc, rng, clock, deals + w.out.deals)
    return w.out


def _usage(
    w: _Writer,
    acc: Account,
    months: list[Month],
    core: list[User],
    depts: list[str],
    baseline: float,
    hot: set[int],
    gate_months: set[int],
    tiers_up: tuple[str, ...],
) -> None:
    """One event per active user per month, on the 3rd-28th: a month-end's 30-day window sees them all."""
    rng, aid = w.rng, acc.account_id
    pool = [(u.uid, u.dept, u.device) for u in core]
    for m, month in enumerate(months):
        util = rng.uniform(0.85, 1.0) if m in hot else baseline * rng.uniform(0.55, 1.0)
        active = max(1, int(acc.seats * util)) if acc.seats > 1 else max(1, round(acc.active * rng.uniform(0.5, 1)))
        while len(pool) < active:
            j = len(pool) + 1
            pool.append((f"u-{acc.index:05d}-h{j:03d}", depts[j % len(depts)], f"dev-h{j:03d}"))
        for uid, dept, device in pool[:active]:
            d = month.days[rng.randrange(len(month.days))]
            event = EVENTS[rng.randrange(len(EVENTS))]
            w.out.usage.append((_ts(d, rng), aid, uid, dept, acc.region, event, "", device))
        if m in gate_months and tiers_up:
            for _ in range(rng.randint(3, 6)):
                uid, dept, device = pool[rng.randrange(active)]
                d = month.days[rng.randrange(len(month.days))]
                feature = tiers_up[rng.randrange(len(tiers_up))]
                w.out.usage.append((_ts(d, rng), aid, uid, dept, acc.region, "feature_gate_hit", feature, device))
    w.out.usage.sort()


def _month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _arr_history(acc: Account, rng: random.Random, clock: Clock, deals: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Month-end ARR for the last 24 months of the tenure, walking back from today's ARR."""
    first = add_months(clock.as_of.replace(day=1), -(ARR_MONTHS - 1))
    months = [add_months(first, n) for n in range(ARR_MONTHS)]
    months = [m for m in months if m.replace(day=calendar.monthrange(m.year, m.month)[1]) >= acc.contract_start]
    wins = sorted(
        (date.fromisoformat(d[6]), float(d[3])) for d in deals if d[4] == "won" and d[5] == "expansion" and d[6]
    )
    contraction: tuple[date, float] | None = None
    if acc.arch.name in ("at_risk", "adoption_help") and acc.k % 2 == 0:
        anniversary = add_months(acc.contract_start, 12 * max(1, (clock.as_of - acc.contract_start).days // 365))
        if first <= anniversary <= clock.as_of:
            contraction = (anniversary, rng.uniform(0.1, 0.25))
    churn_after = None
    if acc.arch.name == "dormant" and acc.k % 3 == 0:
        churn_after = add_months(clock.as_of.replace(day=1), -rng.randint(1, 4))
    rows = []
    for month in months:
        end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        if churn_after is not None and month >= churn_after:
            continue  # churned: finance exports no ARR for the account any more
        arr = float(acc.arr)
        for when, amount in wins:  # undo every expansion won after this month-end
            if when > end:
                arr = max(arr - amount, arr * 0.5)
        if contraction is not None and end < contraction[0]:
            arr = arr / (1 - contraction[1])
        rows.append((acc.account_id, _month_key(month), round(arr)))
    return rows
