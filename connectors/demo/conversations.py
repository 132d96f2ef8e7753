"""Interactions (calls, emails, QBRs, chats, NPS) and reported outcomes."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from connectors.demo.accounts import Account, pick
from connectors.demo.catalog import MODULES, TIER_IDS, TIERS
from connectors.demo.clock import Clock
from connectors.demo.vocabulary import (
    FEATURE_ASKS,
    GENERIC_NOTES,
    INJECTION,
    INJECTION_ACCOUNT,
    MODULE_ASKS,
    NPS_NOTES,
    OUTCOME_NOTE,
    OUTCOME_TEMPLATES,
    TEAM_GROWTH_NOTE,
)


def interaction_rows(acc: Account, rng: random.Random, clock: Clock) -> list[tuple[Any, ...]]:
    """Neutral notes plus the archetype's topic and NPS; neutral text never names a keyword or feature."""
    recent = pick(acc.arch.recent_contact, acc.k)
    notes: list[tuple[int, str, str, str]] = []
    for _ in range(rng.randint(2, 6)):
        source = ("call", "email", "qbr", "chat")[rng.randrange(4)]
        age = rng.randint(1, 59) if recent and not notes else rng.randint(61, 365)
        notes.append((age, source, rng.choice(GENERIC_NOTES[source]), ""))
    if not recent:
        notes.append((60, "email", "Sent a renewal reminder, no reply yet.", ""))
    notes.extend(_topic_notes(acc, rng, recent))
    notes.extend(_nps_notes(acc, rng))
    if acc.index == INJECTION_ACCOUNT:
        notes.append((rng.randint(5, 40), "email", INJECTION, ""))
    rows = []
    for j, (age, source, text, score) in enumerate(sorted(notes, key=lambda n: (-n[0], n[1], n[2])), start=1):
        rows.append(
            (
                f"INT-{acc.index:05d}-{j:02d}",
                acc.account_id,
                clock.ts(age, rng.randint(28800, 64799)),
                source,
                text,
                score,
            )
        )
    return rows


def _topic_notes(acc: Account, rng: random.Random, recent: bool) -> list[tuple[int, str, str, str]]:
    """The text evidence a rule reads: a module keyword, a next-tier feature, or team growth."""
    age = rng.randint(5, 80) if recent else rng.randint(61, 89)
    topic = acc.arch.topic
    if topic == "module":
        unowned = [m for m, *_ in MODULES if m not in acc.products]
        module = unowned[acc.k % len(unowned)]
        return [(age, "call", MODULE_ASKS[module][rng.randrange(2)], "")]
    if topic == "old_module":
        module = MODULES[rng.randrange(len(MODULES))][0]
        return [(rng.randint(120, 300), "call", MODULE_ASKS[module][rng.randrange(2)], "")]
    if topic == "tier_feature":
        feature = TIERS[TIER_IDS.index(acc.tier) + 1][2][rng.randrange(3)]
        return [(age, ("call", "chat", "email")[rng.randrange(3)], FEATURE_ASKS[feature], "")]
    if topic == "team":
        text = TEAM_GROWTH_NOTE.format(n=rng.randint(5, 40), dept="Marketing" if acc.index == 1 else "Sales")
        notes = [(age, "call", text, "")]
        if acc.arch.outcome[0] == "recent":
            notes.append((rng.randint(5, 60), "qbr", OUTCOME_NOTE.format(v=rng.randint(8, 40) * 10), ""))
        return notes
    return []


def _nps_notes(acc: Account, rng: random.Random) -> list[tuple[int, str, str, str]]:
    """NPS rows; 'flip' is a recent detractor after an earlier promoter (the latest score counts)."""
    kind = pick(acc.arch.nps, acc.k)
    if kind == "none":
        return []

    def nps(age: int, score: int, mood: str) -> tuple[int, str, str, str]:
        return (age, "nps", rng.choice(NPS_NOTES[mood]), str(score))

    return {
        "promoter": [nps(rng.randint(3, 50), rng.randint(9, 10), "promoter")],
        "passive": [nps(rng.randint(3, 50), 7, "passive")],
        "detractor": [nps(rng.randint(3, 50), rng.randint(0, 5), "detractor")],
        "old_detractor": [nps(rng.randint(70, 200), rng.randint(0, 6), "detractor")],
        "old_promoter": [nps(rng.randint(61, 200), rng.randint(8, 10), "promoter")],
        "flip": [nps(rng.randint(40, 55), 9, "promoter"), nps(rng.randint(5, 30), rng.randint(3, 6), "detractor")],
        "boundary": [nps(59, 8, "promoter"), nps(rng.randint(100, 200), 4, "detractor")],
    }[kind]


def outcome_rows(acc: Account, rng: random.Random, clock: Clock) -> list[tuple[Any, ...]]:
    """Reported results: recent (< 90 days), exactly 89 days at the boundary, old, or none."""
    kind = pick(acc.arch.outcome, acc.k)
    ages = {"recent": [rng.randint(5, 85)], "boundary": [89], "old": [rng.randint(100, 400)], "none": []}[kind]
    if kind != "none":
        ages += [rng.randint(100, 500) for _ in range(rng.randint(0, 2))]
    rows = []
    if acc.index == 1:
        day = clock.as_of - timedelta(days=40)
        rows.append(
            (
                acc.account_id,
                day.isoformat(),
                "hours_saved",
                340,
                "hours",
                f"340 hours saved in {prior_quarter(day)} through automated workflows",
            )
        )
    for age in sorted(ages, reverse=True):
        day = clock.as_of - timedelta(days=age)
        metric, unit, text, (lo, hi) = OUTCOME_TEMPLATES[rng.randrange(len(OUTCOME_TEMPLATES))]
        value = rng.randint(lo, hi)
        unit = unit.format(cur=acc.currency)
        rows.append(
            (
                acc.account_id,
                day.isoformat(),
                metric,
                value,
                unit,
                text.format(v=value, q=prior_quarter(day), cur=acc.currency),
            )
        )
    return rows


def prior_quarter(day: date) -> str:
    """The calendar quarter a result reported on `day` describes (the one before it)."""
    q = (day.month - 1) // 3
    return f"Q{q}" if q else "Q4"
