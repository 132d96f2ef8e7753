"""Expansion Readiness Score (seed 002): nine signals, each with its evidence and source, and a tier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from skills.catalog import Catalog
from skills.days import age_days, within_last
from skills.evidence import Result, day, mentions, pct, quote, recent_interactions, recent_outcomes
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source
from skills.usage.summary import UsageSummary

SignalId = Literal[
    "capacity",
    "recent_outcome",
    "team_growth",
    "asked_unowned_features",
    "promoter",
    "renewal_window",
    "aligned_initiative",
    "one_seat_many_users",
    "company_growth",
]
ReadinessTier = Literal["priority", "ready", "candidate", "not_yet"]


class Signal(Result):
    id: SignalId
    points: int
    weight: int
    met: bool | None
    evidence: str
    source: Source


class ReadinessScore(Result):
    score: int
    tier: ReadinessTier
    signals: tuple[Signal, ...]


Check = tuple[bool | None, str, Source]


def unowned_modules(snapshot: AccountSnapshot, catalog: Catalog) -> tuple[tuple[str, tuple[str, ...]], ...]:
    owned = {p.lower() for p in snapshot.account.products}
    return tuple((m.id, m.keywords) for m in catalog.modules if m.id.lower() not in owned)


def _capacity(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if u is None:
        return None, "usage data missing: utilisation unknown", Source.usage
    if u.utilisation is None:
        return False, f"no seats licensed; {u.active_users_30d} active users in the last 30 days", Source.usage
    text = f"{pct(u.utilisation)} of {u.seats_licensed} seats active in the last 30 days ({u.active_users_30d} users)"
    return u.utilisation >= r.signals.capacity_utilisation, text, Source.usage


def _recent_outcome(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if s.lacks(Source.outcomes):
        return None, "outcomes data missing", Source.outcomes
    found = recent_outcomes(s, r.signals.recent_outcome_days)
    if not found:
        return False, f"no outcome reported in the last {r.signals.recent_outcome_days} days", Source.outcomes
    o = found[0]
    return (
        True,
        f"{o.description or f'{o.metric} {o.value:g} {o.unit}'.strip()} (reported {day(o.ts)})",
        Source.outcomes,
    )


def _employee_growth(s: AccountSnapshot) -> bool | None:
    a = s.account
    if a.employees_now is None or a.employees_at_signing is None:
        return None
    return a.employees_now > a.employees_at_signing


def _team_growth(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    a = s.account
    grew = _employee_growth(s)
    if grew:
        return True, f"employees grew from {a.employees_at_signing} to {a.employees_now} since signing", Source.crm
    if u is not None and u.new_departments:
        d = u.new_departments[0]
        return (
            True,
            f"{d.users} users from {d.department} started using the product on {day(d.first_seen)}",
            Source.usage,
        )
    if u is None or grew is None:
        return None, "employee counts or usage missing: team growth unknown", Source.usage if u is None else Source.crm
    return False, "no headcount growth and no new department in the last 90 days", Source.usage


def _asked_unowned_features(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if u is not None and u.gate_hits_90d:
        feature, hits = min(u.gate_hits_90d.items(), key=lambda kv: (-kv[1], kv[0]))  # most hits, then a–z
        return True, f"{hits} feature-gate hits on {feature} in the last 90 days", Source.usage
    asked = mentions(
        recent_interactions(s, r.signals.interaction_window_days), r.catalog.higher_tier_features(s.account.plan_tier)
    )
    if asked:
        i, feature = asked[0]
        return True, f'asked about {feature} ({i.source}, {day(i.ts.date())}): "{quote(i.text)}"', Source.conversations
    if u is None or s.lacks(Source.conversations):
        return None, "usage or conversations missing: feature requests unknown", Source.usage
    return False, "no feature-gate hits or requests for higher-tier features in the last 90 days", Source.usage


def _promoter(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if s.lacks(Source.conversations):
        return None, "conversations (NPS) missing", Source.conversations
    scores = [i for i in s.interactions if i.nps_score is not None and age_days(s.as_of, i.ts) >= 0]
    if not scores:
        return False, "no NPS response on record", Source.conversations
    latest = max(scores, key=lambda i: (i.ts, i.interaction_id))
    recent = within_last(s.as_of, latest.ts, r.signals.nps_window_days)
    text = f"latest NPS {latest.nps_score} on {day(latest.ts.date())}"
    met = recent and latest.nps_score is not None and latest.nps_score >= r.signals.promoter_min_nps
    return met, text + ("" if recent else f" (older than {r.signals.nps_window_days} days)"), Source.conversations


def _renewal_window(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    days = (s.account.renewal_date - s.as_of).days
    lo, hi = r.signals.renewal_window_min_days, r.signals.renewal_window_max_days
    return lo <= days <= hi, f"renewal on {day(s.account.renewal_date)}, {days} days away", Source.crm


def _aligned_initiative(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if s.lacks(Source.conversations):
        return None, "conversations missing: initiatives unknown", Source.conversations
    interactions = recent_interactions(s, r.signals.interaction_window_days)
    for module_id, keywords in unowned_modules(s, r.catalog):
        named = mentions(interactions, keywords)
        if named:
            i, keyword = named[0]
            text = f'mentioned {keyword} ({module_id} module not owned) in a {i.source} on {day(i.ts.date())}: "{quote(i.text)}"'
            return True, text, Source.conversations
    return False, "no initiative naming an unowned module in the last 90 days", Source.conversations


def _one_seat_many_users(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    if u is None:
        return None, "usage data missing", Source.usage
    text = f"{u.seats_licensed} paid seat(s), {u.active_users_30d} active users in the last 30 days"
    return u.seats_licensed == 1 and u.active_users_30d >= 2, text, Source.usage


def _company_growth(s: AccountSnapshot, u: UsageSummary | None, r: Rules) -> Check:
    a = s.account
    revenue = None if a.revenue_now is None or a.revenue_at_signing is None else a.revenue_now > a.revenue_at_signing
    employees = _employee_growth(s)
    if revenue:
        return True, f"revenue grew from {a.revenue_at_signing:,.0f} to {a.revenue_now:,.0f} since signing", Source.crm
    if employees:
        return True, f"employees grew from {a.employees_at_signing} to {a.employees_now} since signing", Source.crm
    if revenue is None and employees is None:
        return None, "no revenue or employee figures in CRM", Source.crm
    return False, "no revenue or headcount growth since signing", Source.crm


SIGNAL_RULES: dict[SignalId, Callable[[AccountSnapshot, UsageSummary | None, Rules], Check]] = {
    "capacity": _capacity,
    "recent_outcome": _recent_outcome,
    "team_growth": _team_growth,
    "asked_unowned_features": _asked_unowned_features,
    "promoter": _promoter,
    "renewal_window": _renewal_window,
    "aligned_initiative": _aligned_initiative,
    "one_seat_many_users": _one_seat_many_users,
    "company_growth": _company_growth,
}


def readiness_tier(score: int, rules: Rules) -> ReadinessTier:
    cut = rules.tiers
    if score >= cut.priority:
        return "priority"
    if score >= cut.ready:
        return "ready"
    return "candidate" if score >= cut.candidate else "not_yet"


def readiness_score(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> ReadinessScore:
    """Unknown signals (missing source) score 0 and say so; they are never guessed as met."""
    signals = []
    for signal_id, rule in SIGNAL_RULES.items():
        met, evidence, source = rule(snapshot, usage, rules)
        weight = getattr(rules.weights, signal_id)
        signals.append(
            Signal(id=signal_id, points=weight if met else 0, weight=weight, met=met, evidence=evidence, source=source)
        )
    score = sum(s.points for s in signals)
    return ReadinessScore(score=score, tier=readiness_tier(score, rules), signals=tuple(signals))
