"""Expansion ROI (seed 001 step 6): current value, expansion cost, expected incremental value, payback."""

from __future__ import annotations

from skills.evidence import Result, recent_outcomes
from skills.playbook.expansion_type import ExpansionChoice
from skills.proposal.pricing import PriceQuote
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source


class ExpansionRoi(Result):
    current_value: float | None
    current_value_basis: str
    expansion_cost: float
    expected_incremental_value: float | None
    incremental_basis: str
    payback_months: float | None


def _is_time_metric(metric: str, unit: str, rules: Rules) -> bool:
    return unit.strip().lower() in rules.value.time_units or "hours" in metric.lower()


def current_value(snapshot: AccountSnapshot, rules: Rules) -> tuple[float | None, str]:
    """Hours the customer reported saving over the lookback, valued at the catalog's hourly rate."""
    if snapshot.lacks(Source.outcomes):
        return None, "outcomes data missing"
    timed = [
        o for o in recent_outcomes(snapshot, rules.value.roi_lookback_days) if _is_time_metric(o.metric, o.unit, rules)
    ]
    hours = sum(o.value for o in timed)
    rate = rules.catalog.hourly_value
    return hours * rate, f"{hours:g} hours reported in the last 12 months × {rate:g} per hour"


def expansion_roi(snapshot: AccountSnapshot, choice: ExpansionChoice, quote: PriceQuote, rules: Rules) -> ExpansionRoi:
    value, value_basis = current_value(snapshot, rules)
    incremental: float | None = None
    if quote.seats_added and value is not None and snapshot.account.seats_licensed > 0:
        per_seat = value / snapshot.account.seats_licensed
        incremental = per_seat * quote.seats_added
        basis = f"current value per seat ({per_seat:,.0f}) × {quote.seats_added} seats added"
    elif choice.type == "cross_sell" and choice.module_id:
        module = rules.catalog.module(choice.module_id)
        outcome = module.expected_outcome if module else None
        if outcome and _is_time_metric(outcome.metric, "", rules):
            yearly = outcome.value * (12 if outcome.per == "month" else 1)
            incremental = yearly * rules.catalog.hourly_value
            basis = f"module expected outcome {yearly:g} hours per year × {rules.catalog.hourly_value:g} per hour"
        else:
            basis = "module has no time-valued expected outcome"
    else:
        basis = "no per-seat or module outcome to scale for this expansion type"
    payback = round(quote.proposed_expansion_value / (incremental / 12), 1) if incremental else None
    return ExpansionRoi(
        current_value=None if value is None else round(value, 2),
        current_value_basis=value_basis,
        expansion_cost=quote.proposed_expansion_value,
        expected_incremental_value=None if incremental is None else round(incremental, 2),
        incremental_basis=basis,
        payback_months=payback,
    )
