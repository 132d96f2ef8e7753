"""Expansion ROI (seed 001 step 6, SPEC §3 ROI): current value, expansion cost, incremental value, payback, value case.

- current value (last 12 months) = Σ time outcomes (hours) × hourly_value + Σ money outcomes (unit = a
  currency code), converted with the catalog's fx table when not in the account's currency;
- expected incremental value: current value per seat × seats added (seat growth and regional seats), or the
  module's / next tier's expected_outcome (cross-sell / tier upgrade), else "not estimated" with the reason;
- payback months = cost / (incremental value / 12), one decimal;
- value case: strong when payback ≤ 12 months, weak when longer, unknown when not estimated.
"""

from __future__ import annotations

import re
from typing import Literal

from skills.catalog import ExpectedOutcome
from skills.evidence import Result, recent_outcomes
from skills.playbook.expansion_type import ExpansionChoice
from skills.proposal.pricing import PriceQuote
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source

ValueCase = Literal["strong", "weak", "unknown"]
STRONG_PAYBACK_MONTHS = 12.0
_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")


class ExpansionRoi(Result):
    current_value: float | None
    current_value_basis: str
    expansion_cost: float
    expected_incremental_value: float | None
    incremental_basis: str
    payback_months: float | None
    value_case: ValueCase = "unknown"
    value_case_reason: str = ""


def _is_time_metric(metric: str, unit: str, rules: Rules) -> bool:
    return unit.strip().lower() in rules.value.time_units or "hours" in metric.lower()


def is_currency_unit(unit: str, currency: str, rules: Rules) -> bool:
    """A money outcome's unit is a currency code: the account's, the base currency, or one in the fx table."""
    code = unit.strip()
    known = {currency.upper(), *(k.upper() for k in rules.catalog.fx), (rules.catalog.base_currency or "").upper()}
    return bool(_CURRENCY_CODE.match(code)) and (code.upper() in known or code.isupper())


def current_value(snapshot: AccountSnapshot, rules: Rules) -> tuple[float | None, str]:
    """Hours saved at the catalog's hourly rate plus money saved, over the lookback, in the account's currency."""
    if snapshot.lacks(Source.outcomes):
        return None, "outcomes data missing"
    currency = snapshot.account.currency
    outcomes = recent_outcomes(snapshot, rules.value.roi_lookback_days)
    hours = sum(o.value for o in outcomes if _is_time_metric(o.metric, o.unit, rules))
    rate = rules.catalog.hourly_value
    saved, unconverted = 0.0, []
    for o in outcomes:
        if _is_time_metric(o.metric, o.unit, rules) or not is_currency_unit(o.unit, currency, rules):
            continue
        converted = rules.catalog.convert(o.value, o.unit, currency)
        if converted is None:
            unconverted.append(f"{o.value:g} {o.unit.strip().upper()}")
        else:
            saved += converted
    parts = [f"{hours:g} hours reported in the last 12 months × {rate:g} per hour"]
    if saved:
        parts.append(f"{saved:,.0f} {currency} reported saved")
    if unconverted:
        parts.append(f"not counted (no fx rate to {currency}): {', '.join(unconverted)}")
    return hours * rate + saved, " + ".join(parts[:2]) + ("; " + parts[2] if len(parts) > 2 else "")


def _outcome_value(outcome: ExpectedOutcome, whose: str, currency: str, rules: Rules) -> tuple[float | None, str]:
    yearly = outcome.yearly
    if _is_time_metric(outcome.metric, outcome.unit, rules):
        rate = rules.catalog.hourly_value
        return yearly * rate, f"{whose} expected outcome {yearly:g} hours per year × {rate:g} per hour"
    if outcome.unit and is_currency_unit(outcome.unit, currency, rules):
        converted = rules.catalog.convert(yearly, outcome.unit, currency)
        if converted is None:
            return None, f"not estimated: {whose} expected outcome is in {outcome.unit} with no fx rate to {currency}"
        return converted, f"{whose} expected outcome {yearly:g} {outcome.unit.upper()} per year"
    return None, f"not estimated: {whose} expected outcome ({outcome.metric}) is neither hours nor money"


def incremental_value(
    snapshot: AccountSnapshot, choice: ExpansionChoice, quote: PriceQuote, value: float | None, rules: Rules
) -> tuple[float | None, str]:
    account, catalog = snapshot.account, rules.catalog
    if quote.seats_added:
        if value is None:
            return None, "not estimated: no outcomes data to value a seat"
        if not value:
            return None, "not estimated: no time or money outcome reported in the last 12 months to value a seat"
        if account.seats_licensed <= 0:
            return None, "not estimated: no seats licensed to value a seat"
        per_seat = value / account.seats_licensed
        return (
            per_seat * quote.seats_added,
            f"current value per seat ({per_seat:,.0f}) × {quote.seats_added} seats added",
        )
    if choice.type == "cross_sell" and choice.module_id:
        module = catalog.module(choice.module_id)
        if module is None or module.expected_outcome is None:
            return None, f"not estimated: the catalog gives no expected outcome for the {choice.module_id} module"
        return _outcome_value(module.expected_outcome, "module", account.currency, rules)
    if choice.type == "tier_upgrade" and choice.next_tier:
        tier = catalog.tier(choice.next_tier)
        if tier is None or tier.expected_outcome is None:
            return None, f"not estimated: the catalog gives no expected outcome for the {choice.next_tier} tier"
        return _outcome_value(tier.expected_outcome, f"{choice.next_tier} tier", account.currency, rules)
    return None, f"not estimated: no per-seat or catalog outcome to scale for {choice.type}"


def value_case(payback_months: float | None) -> ValueCase:
    if payback_months is None:
        return "unknown"
    return "strong" if payback_months <= STRONG_PAYBACK_MONTHS else "weak"


def expansion_roi(snapshot: AccountSnapshot, choice: ExpansionChoice, quote: PriceQuote, rules: Rules) -> ExpansionRoi:
    value, value_basis = current_value(snapshot, rules)
    incremental, basis = incremental_value(snapshot, choice, quote, value, rules)
    payback = round(quote.proposed_expansion_value / (incremental / 12), 1) if incremental else None
    case = value_case(payback)
    if payback is None:
        reason = basis if basis.startswith("not estimated") else f"not estimated: {basis}"
    else:
        reason = f"payback {payback:g} months ({'≤' if case == 'strong' else '>'} {STRONG_PAYBACK_MONTHS:g})"
    return ExpansionRoi(
        current_value=None if value is None else round(value, 2),
        current_value_basis=value_basis,
        expansion_cost=quote.proposed_expansion_value,
        expected_incremental_value=None if incremental is None else round(incremental, 2),
        incremental_basis=basis,
        payback_months=payback,
        value_case=case,
        value_case_reason=reason,
    )
