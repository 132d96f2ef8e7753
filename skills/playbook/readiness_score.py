"""Expansion Readiness Score (seed 002): nine signals, each with its evidence and source, and a tier."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

from pydantic import Field

from skills.catalog import Catalog
from skills.conversations.cited import ALIGNING, ASKING, cited, signals_about
from skills.days import age_days, within_last
from skills.enrichment import company_growth
from skills.evidence import Result, day, grouped_mentions, mentions, pct, quote, recent_interactions, recent_outcomes
from skills.freshness import freshness_marks
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Interaction, Source
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
    as_of_data: date | None = Field(
        default=None, description="day of the newest row of the signal's source on or before as_of"
    )
    stale: bool = Field(default=False, description="that row is older than the source's freshness limit")


class ReadinessScore(Result):
    score: int
    tier: ReadinessTier
    signals: tuple[Signal, ...]


Check = tuple[bool | None, str, Source]


def unowned_modules(snapshot: AccountSnapshot, catalog: Catalog) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(module id, keywords) of each catalog module the account does not own, in catalog order."""

    def unowned() -> tuple[tuple[str, tuple[str, ...]], ...]:
        owned = {p.lower() for p in snapshot.account.products}
        return tuple((m.id, m.keywords) for m in catalog.modules if m.id.lower() not in owned)

    return snapshot.derived("unowned_modules", unowned, catalog)


ModuleMentions = tuple[tuple[str, tuple[tuple[Interaction, str], ...]], ...]


def module_mentions(snapshot: AccountSnapshot, catalog: Catalog, days: int) -> ModuleMentions:
    """Each unowned module (catalog order) with the (interaction, keyword) mentions of its keywords
    in the last `days` days, newest first: what the aligned-initiative signal, the cross-sell offer
    and the initiative trigger and brief read."""

    def found() -> ModuleMentions:
        unowned = unowned_modules(snapshot, catalog)
        named = grouped_mentions(recent_interactions(snapshot, days), [keywords for _, keywords in unowned])
        return tuple((module_id, tuple(pairs)) for (module_id, _), pairs in zip(unowned, named, strict=True))

    return snapshot.derived(("module_mentions", days), found, catalog)


def unowned_ids(snapshot: AccountSnapshot, catalog: Catalog) -> set[str]:
    """Catalog ids the account does not have: unowned modules, higher tiers and their features."""
    ids = {module_id for module_id, _ in unowned_modules(snapshot, catalog)}
    tiers = [t.id for t in catalog.tiers]
    start = tiers.index(snapshot.account.plan_tier) + 1 if snapshot.account.plan_tier in tiers else 0
    ids.update(t.id for t in catalog.tiers[start:])
    return ids | set(catalog.higher_tier_features(snapshot.account.plan_tier))


def _capacity(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if usage is None:
        return None, "usage data missing: utilisation unknown", Source.usage
    if usage.utilisation is None:
        return False, f"no seats licensed; {usage.active_users_30d} active users in the last 30 days", Source.usage
    text = f"{pct(usage.utilisation)} of {usage.seats_licensed} seats active in the last 30 days ({usage.active_users_30d} users)"
    return usage.utilisation >= rules.signals.capacity_utilisation, text, Source.usage


def _recent_outcome(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if snapshot.lacks(Source.outcomes):
        return None, "outcomes data missing", Source.outcomes
    found = recent_outcomes(snapshot, rules.signals.recent_outcome_days)
    if not found:
        return False, f"no outcome reported in the last {rules.signals.recent_outcome_days} days", Source.outcomes
    latest = found[0]
    return True, f"{latest.text} (reported {day(latest.ts)})", Source.outcomes


def _team_growth(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    account = snapshot.account
    grew = account.headcount_grew
    if grew:
        return (
            True,
            f"employees grew from {account.employees_at_signing} to {account.employees_now} since signing",
            Source.crm,
        )
    if usage is not None and usage.new_departments:
        d = usage.new_departments[0]
        return (
            True,
            f"{d.users} users from {d.department} started using the product on {day(d.first_seen)}",
            Source.usage,
        )
    if usage is None or grew is None:
        return (
            None,
            "employee counts or usage missing: team growth unknown",
            Source.usage if usage is None else Source.crm,
        )
    return False, "no headcount growth and no new department in the last 90 days", Source.usage


def _asked_unowned_features(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if usage is not None and usage.gate_hits_90d:
        feature, hits = min(usage.gate_hits_90d.items(), key=lambda kv: (-kv[1], kv[0]))  # most hits, then a–z
        return True, f"{hits} feature-gate hits on {feature} in the last 90 days", Source.usage
    window = rules.signals.interaction_window_days
    extracted = signals_about(snapshot, unowned_ids(snapshot, rules.catalog), ASKING, window)
    if extracted:
        text, source = cited(snapshot, extracted[0])
        return True, f"{text} — asks for {extracted[0].catalog_id}, not owned", source
    asked = mentions(
        recent_interactions(snapshot, rules.signals.interaction_window_days),
        rules.catalog.higher_tier_features(snapshot.account.plan_tier),
    )
    if asked:
        i, feature = asked[0]
        return True, f'asked about {feature} ({i.source}, {day(i.ts.date())}): "{quote(i.text)}"', Source.conversations
    if usage is None or snapshot.lacks(Source.conversations):
        return None, "usage or conversations missing: feature requests unknown", Source.usage
    return False, "no feature-gate hits or requests for higher-tier features in the last 90 days", Source.usage


def _promoter(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if snapshot.lacks(Source.conversations):
        return None, "conversations (NPS) missing", Source.conversations
    scores = [i for i in snapshot.interactions if i.nps_score is not None and age_days(snapshot.as_of, i.ts) >= 0]
    if not scores:
        return False, "no NPS response on record", Source.conversations
    latest = max(scores, key=lambda i: (i.ts, i.interaction_id))
    recent = within_last(snapshot.as_of, latest.ts, rules.signals.nps_window_days)
    text = f"latest NPS {latest.nps_score} on {day(latest.ts.date())}"
    met = recent and latest.nps_score is not None and latest.nps_score >= rules.signals.promoter_min_nps
    return met, text + ("" if recent else f" (older than {rules.signals.nps_window_days} days)"), Source.conversations


def _renewal_window(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    days = (snapshot.account.renewal_date - snapshot.as_of).days
    lo, hi = rules.signals.renewal_window_min_days, rules.signals.renewal_window_max_days
    return lo <= days <= hi, f"renewal on {day(snapshot.account.renewal_date)}, {days} days away", Source.crm


def _aligned_initiative(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if snapshot.lacks(Source.conversations):
        return None, "conversations missing: initiatives unknown", Source.conversations
    window = rules.signals.interaction_window_days
    unowned = {module_id for module_id, _ in unowned_modules(snapshot, rules.catalog)}
    extracted = signals_about(snapshot, unowned, ALIGNING, window)
    if extracted:
        text, source = cited(snapshot, extracted[0])
        return True, f"{text} — {extracted[0].catalog_id} module not owned", source
    for module_id, named in module_mentions(snapshot, rules.catalog, window):
        if named:
            i, keyword = named[0]
            text = f'mentioned {keyword} ({module_id} module not owned) in a {i.source} on {day(i.ts.date())}: "{quote(i.text)}"'
            return True, text, Source.conversations
    return False, "no initiative naming an unowned module in the last 90 days", Source.conversations


def _one_seat_many_users(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    if usage is None:
        return None, "usage data missing", Source.usage
    text = f"{usage.seats_licensed} paid seat(s), {usage.active_users_30d} active users in the last 30 days"
    return usage.seats_licensed == 1 and usage.active_users_30d >= 2, text, Source.usage


def _company_growth(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Check:
    """Enrichment first (cited by provider), then the CRM's figures since signing."""
    enriched = company_growth(snapshot, rules)
    if enriched is not None and enriched.met:
        return True, enriched.evidence, enriched.source
    crm = _crm_company_growth(snapshot)
    if crm[0] is None and enriched is not None:
        return False, enriched.evidence, enriched.source
    if crm[0] is None and snapshot.lacks(Source.enrichment):
        reason = next(m.reason for m in snapshot.missing if m.kind == Source.enrichment)
        return None, f"{crm[1]}; enrichment unavailable: {reason}", Source.enrichment
    return crm


def _crm_company_growth(snapshot: AccountSnapshot) -> Check:
    account = snapshot.account
    revenue = (
        None
        if account.revenue_now is None or account.revenue_at_signing is None
        else account.revenue_now > account.revenue_at_signing
    )
    employees = account.headcount_grew
    if revenue:
        return (
            True,
            f"revenue grew from {account.revenue_at_signing:,.0f} to {account.revenue_now:,.0f} since signing",
            Source.crm,
        )
    if employees:
        return (
            True,
            f"employees grew from {account.employees_at_signing} to {account.employees_now} since signing",
            Source.crm,
        )
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


def signal_points(met: bool | None, weight: int) -> int:
    """A met signal scores its weight; an unmet or unknown one (missing source) scores 0."""
    return weight if met else 0


CHEAPEST_FIRST: tuple[SignalId, ...] = (
    "renewal_window",
    "one_seat_many_users",
    "capacity",
    "team_growth",
    "company_growth",
    "promoter",
    "recent_outcome",
    "asked_unowned_features",
    "aligned_initiative",
)
"""`SIGNAL_RULES` in the order `readiness_points_reaching` runs them: CRM and usage figures first, then the
outcomes and conversations, whose text the last two search for catalog keywords (about half the
rules' time on a generated 100,000-account book)."""


def readiness_points(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> int:
    """The score `readiness_score` adds up (the same rules and weights) without building the signals'
    evidence: what ranking a book by score reads."""
    return readiness_points_reaching(snapshot, usage, rules, 0) or 0  # 0 is always reached


def readiness_points_reaching(
    snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules, at_least: int
) -> int | None:
    """`readiness_points`, or None once the score cannot reach `at_least`: the rules run cheapest
    first and stop when the points so far and the weights of the rules still to run fall short (weights
    are not negative), so a ranking that knows the lowest score of its top so far skips most accounts'
    conversation rules."""
    weights = rules.weights
    ahead = sum(getattr(weights, signal_id) for signal_id in CHEAPEST_FIRST)
    points = 0
    for signal_id in CHEAPEST_FIRST:
        weight = getattr(weights, signal_id)
        ahead -= weight
        points += signal_points(SIGNAL_RULES[signal_id](snapshot, usage, rules)[0], weight)
        if points + ahead < at_least:
            return None
    return points


def readiness_score(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> ReadinessScore:
    """Unknown signals (missing source) score 0 and say so; they are never guessed as met."""
    checks = {signal_id: rule(snapshot, usage, rules) for signal_id, rule in SIGNAL_RULES.items()}
    fresh = freshness_marks(snapshot, (source for _, _, source in checks.values()), rules.freshness)
    signals = []
    for signal_id, (met, evidence, source) in checks.items():
        weight = getattr(rules.weights, signal_id)
        newest, stale = fresh[source]
        signals.append(
            Signal(
                id=signal_id,
                points=signal_points(met, weight),
                weight=weight,
                met=met,
                evidence=evidence,
                source=source,
                as_of_data=newest,
                stale=stale,
            )
        )
    score = sum(signal.points for signal in signals)
    return ReadinessScore(score=score, tier=readiness_tier(score, rules), signals=tuple(signals))
