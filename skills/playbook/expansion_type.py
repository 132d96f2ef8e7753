"""Expansion type (seed 002 step 2, seed 000): one offer per account — the first rule that holds."""

from __future__ import annotations

from collections import Counter

from connectors.snapshot import AccountSnapshot, RegionUsage, Source
from skills.catalog import ExpansionType, normalise_term
from skills.evidence import EvidenceLine, Result, mentions, pct, recent_interactions
from skills.playbook.readiness_score import unowned_modules
from skills.rules import Rules
from skills.usage.summary import UsageSummary


class ExpansionChoice(Result):
    type: ExpansionType
    reason: EvidenceLine
    unevaluated: tuple[ExpansionType, ...] = ()
    next_tier: str | None = None
    module_id: str | None = None
    new_regions: tuple[RegionUsage, ...] = ()


def _seat_growth(u: UsageSummary, rules: Rules) -> str | None:
    parts = []
    if u.utilisation is not None and u.utilisation >= rules.signals.capacity_utilisation:
        parts.append(f"{pct(u.utilisation)} of seats in use")
    if u.sharing_users:
        parts.append(f"{len(u.sharing_users)} user(s) sharing credentials")
    if u.new_departments:
        parts.append("new department(s) " + ", ".join(d.department for d in u.new_departments))
    return "; ".join(parts) or None


def _tier_upgrade(snapshot: AccountSnapshot, u: UsageSummary, rules: Rules) -> tuple[str, int] | None:
    nxt = rules.catalog.next_tier(snapshot.account.plan_tier)
    if nxt is None:
        return None
    wanted = {normalise_term(f) for f in nxt.features}
    hits = sum(n for feature, n in u.gate_hits_90d.items() if normalise_term(feature) in wanted)
    return (nxt.id, hits) if hits >= rules.types.tier_upgrade_min_gate_hits else None


def _cross_sell(snapshot: AccountSnapshot, rules: Rules) -> tuple[str, str] | None:
    interactions = recent_interactions(snapshot, rules.signals.interaction_window_days)
    counts = Counter(
        {module_id: len(mentions(interactions, kws)) for module_id, kws in unowned_modules(snapshot, rules.catalog)}
    )
    named = [(module_id, n) for module_id, n in counts.items() if n > 0]
    if not named:
        return None
    module_id, n = max(named, key=lambda kv: kv[1])  # stable: catalog order wins ties
    return module_id, f"{n} mention(s) of the {module_id} module's keywords in the last 90 days"


def expansion_type(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> ExpansionChoice:
    """Rules that need a missing source are skipped and listed in `unevaluated`, never assumed."""
    account = snapshot.account
    skipped: tuple[ExpansionType, ...] = ()
    if usage is None:
        skipped = ("seat_growth", "tier_upgrade", "geographic_expansion")
    else:
        seat_reason = _seat_growth(usage, rules)
        if seat_reason:
            return ExpansionChoice(type="seat_growth", reason=EvidenceLine(text=seat_reason, source=Source.usage))
        upgrade = _tier_upgrade(snapshot, usage, rules)
        if upgrade:
            return ExpansionChoice(
                type="tier_upgrade",
                next_tier=upgrade[0],
                reason=EvidenceLine(
                    text=f"{upgrade[1]} feature-gate hits on {upgrade[0]}-tier features in the last 90 days",
                    source=Source.usage,
                ),
            )
    cross = None if snapshot.lacks(Source.conversations) else _cross_sell(snapshot, rules)
    if cross:
        return ExpansionChoice(
            type="cross_sell",
            module_id=cross[0],
            unevaluated=skipped,
            reason=EvidenceLine(text=cross[1], source=Source.conversations),
        )
    if usage is not None and usage.other_regions:
        regions = ", ".join(f"{r.region} ({r.users_90d} users)" for r in usage.other_regions)
        return ExpansionChoice(
            type="geographic_expansion",
            new_regions=usage.other_regions,
            unevaluated=skipped,
            reason=EvidenceLine(
                text=f"usage from outside {account.region} in the last 90 days: {regions}", source=Source.usage
            ),
        )
    to_renewal = (account.renewal_date - snapshot.as_of).days
    if (
        0 <= to_renewal <= rules.types.multi_year_renewal_max_days
        and account.health_score >= rules.types.multi_year_renewal_min_health
    ):
        return ExpansionChoice(
            type="multi_year_renewal",
            unevaluated=skipped,
            reason=EvidenceLine(
                text=f"renewal in {to_renewal} days with health {account.health_score:g}", source=Source.crm
            ),
        )
    return ExpansionChoice(
        type="professional_services",
        unevaluated=skipped,
        reason=EvidenceLine(
            text="no capacity, upgrade, cross-sell, regional or renewal signal: adoption help is the offer",
            source=Source.usage,
        ),
    )
