"""Seed 003's Expansion Plan: the primary offer and up to two other plays whose rules hold, priced and
ranked by value; the expansion potential with its confidence; and, with a renewal within six months, a
renewal strategy whose risk level comes from health, blockers and the readiness gate.
"""

from __future__ import annotations

from typing import Literal

from skills.assessment import AccountAssessment
from skills.catalog import ExpansionType
from skills.days import add_months
from skills.evidence import money
from skills.playbook.expansion_type import ExpansionChoice
from skills.proposal.pricing import PriceQuote, other_plays
from skills.proposal.schema import ExpansionPlan, Play, RenewalStrategy, RiskLevel
from skills.rules import Rules
from skills.snapshot import AccountSnapshot

NOT_CALIBRATED = "not calibrated"
EXPANSION_AT_RENEWAL: dict[RiskLevel, Literal["likely", "possible", "unlikely"]] = {
    "green": "likely",
    "amber": "possible",
    "red": "unlikely",
}
WHAT = {
    "seat_growth": "Seat growth: {seats} seats",
    "tier_upgrade": "Tier upgrade to {next_tier}",
    "cross_sell": "Cross-sell: the {module} module",
    "geographic_expansion": "Geographic expansion: {seats} seats for {regions}",
    "multi_year_renewal": "Multi-year renewal",
    "professional_services": "Professional services: adoption help",
}


def describe(choice: ExpansionChoice, quote: PriceQuote, rules: Rules) -> str:
    module = rules.catalog.module(choice.module_id) if choice.module_id else None
    return WHAT[choice.type].format(
        seats=quote.seats_added,
        next_tier=choice.next_tier,
        module=module.name if module else choice.module_id,
        regions=", ".join(r.region for r in choice.new_regions),
    )


def play(choice: ExpansionChoice, quote: PriceQuote, rules: Rules) -> Play:
    return Play(
        expansion_type=choice.type,
        what=f"{describe(choice, quote, rules)} at {money(quote.proposed_expansion_value, quote.currency)}",
        why_now=choice.reason.cited,
        estimated_arr_impact=quote.proposed_expansion_value,
    )


def renewal_risk(assessment: AccountAssessment, snapshot: AccountSnapshot, rules: Rules) -> tuple[RiskLevel, list[str]]:
    """red: gate failed, health below the recovering line, or an open critical ticket; amber: any other
    blocker, health below the healthy line or trending down; else green."""
    health, trend = snapshot.account.health_score, snapshot.account.health_trend
    red: list[str] = []
    amber: list[str] = []
    if not assessment.gate.passed:
        red.append("readiness gate failed: " + "; ".join(assessment.gate.reasons))
    if health < rules.gate.recovering_min:
        red.append(f"health {health:g} below {rules.gate.recovering_min:g}")
    elif health < rules.gate.healthy_min:
        amber.append(f"health {health:g} below {rules.gate.healthy_min:g}")
    if trend == "down":
        amber.append("health trending down")
    for b in assessment.blockers:
        (red if b.id == "open_critical_ticket" else amber).append(f"blocker {b.id}: {b.detail}")
    if red:
        return "red", red + amber
    return ("amber", amber) if amber else ("green", ["healthy, gate passed, no blocker"])


def expansion_plan(
    assessment: AccountAssessment,
    snapshot: AccountSnapshot,
    choice: ExpansionChoice,
    rules: Rules,
    confidence: str | None = None,
) -> ExpansionPlan:
    """`confidence` is the tier's calibrated win rate (SPEC §5) when a backtest supplies one."""
    primary = play(choice, assessment.pricing, rules)
    excluded: ExpansionType = choice.type
    others = [play(c, q, rules) for c, q in other_plays(snapshot, assessment.usage, rules, excluded)]
    plays = [primary, *others]
    account = snapshot.account
    strategy = None
    if (
        assessment.as_of
        <= account.renewal_date
        <= add_months(assessment.as_of, rules.calendar.pre_renewal_horizon_months)
    ):
        level, reasons = renewal_risk(assessment, snapshot, rules)
        strategy = RenewalStrategy(
            renewal_date=account.renewal_date,
            days_to_renewal=(account.renewal_date - assessment.as_of).days,
            risk_level=level,
            risk_reasons=reasons,
            expansion_at_renewal=EXPANSION_AT_RENEWAL[level],
        )
    return ExpansionPlan(
        plays=plays,
        expansion_potential=round(sum(p.estimated_arr_impact for p in plays), 2),
        confidence=confidence or NOT_CALIBRATED,
        renewal_strategy=strategy,
    )
