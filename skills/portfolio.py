"""The book rolled up (SPEC §6): retention, the pipeline of actionable accounts per tier, the weighted
forecast when the tiers are calibrated (SPEC §5), and a row per CSM.

Actionable = the readiness gate passed and no blocker. Money is summed per currency, and in the
catalog's base_currency only when its fx table covers every currency summed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from pydantic import Field

from skills.assessment import AccountAssessment
from skills.catalog import Catalog
from skills.evidence import Result
from skills.playbook.readiness_score import ReadinessTier
from skills.retention import Retention

TIERS: tuple[ReadinessTier, ...] = ("priority", "ready", "candidate", "not_yet")

RateForTier = Callable[[ReadinessTier], tuple[float, int] | None]
"""A tier's calibrated win rate and its number of backtest observations, or None when not calibrated."""

NOT_CALIBRATED = "not calibrated: no backtest with at least 30 observations in the tier"


class TierRate(Result):
    rate: float
    observations: int


class Forecast(Result):
    value: dict[str, float] | None = Field(description="Σ value × tier rate, per currency; null when not calibrated")
    value_base: float | None
    reason: str | None


class TierPipeline(Result):
    accounts: int
    value: dict[str, float] = Field(description="Σ proposed_expansion_value per currency")
    value_base: float | None = Field(description="the same in base_currency when fx covers every currency")
    rate: TierRate | None = Field(description="the tier's calibrated win rate; null when not calibrated")


class CsmRow(Result):
    csm: str
    accounts: int
    arr: dict[str, float]
    arr_base: float | None
    pipeline_accounts: int
    pipeline_value: dict[str, float]
    pipeline_value_base: float | None
    forecast: Forecast
    needing_attention: int = Field(description="accounts with a failed gate or a blocker")
    attention_accounts: tuple[str, ...]


class PortfolioSummary(Result):
    as_of: date
    base_currency: str | None
    nrr: float | None
    grr: float | None
    retention: Retention
    accounts: int
    actionable: int
    pipeline: dict[ReadinessTier, TierPipeline]
    forecast: Forecast
    csms: tuple[CsmRow, ...]


def is_actionable(a: AccountAssessment) -> bool:
    return a.gate.passed and not a.blockers


def needs_attention(a: AccountAssessment) -> bool:
    return not a.gate.passed or bool(a.blockers)


def money_sum(items: Iterable[tuple[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for currency, amount in items:
        totals[currency] += amount
    return {c: round(v, 2) for c, v in sorted(totals.items())}


def in_base(amounts: dict[str, float], catalog: Catalog) -> float | None:
    """The amounts in base_currency; None without a base or when a currency has no fx rate."""
    converted = [catalog.to_base(v, c) for c, v in amounts.items()]
    if catalog.base_currency is None or any(v is None for v in converted):
        return None
    return round(sum(v for v in converted if v is not None), 2)


def _rates(tiers: Iterable[ReadinessTier], rate_for_tier: RateForTier | None) -> dict[ReadinessTier, TierRate]:
    if rate_for_tier is None:
        return {}
    found = {t: rate_for_tier(t) for t in tiers}
    return {t: TierRate(rate=r[0], observations=r[1]) for t, r in found.items() if r is not None}


def forecast(
    actionable: Sequence[AccountAssessment], rates: dict[ReadinessTier, TierRate], catalog: Catalog
) -> Forecast:
    """Σ proposed value × the tier's calibrated rate; null (with the reason) when a tier with value is not calibrated."""
    uncalibrated = sorted({a.tier for a in actionable} - set(rates), key=TIERS.index)
    if uncalibrated:
        return Forecast(value=None, value_base=None, reason=f"{NOT_CALIBRATED} ({', '.join(uncalibrated)})")
    if not rates and not actionable:
        return Forecast(value=None, value_base=None, reason=NOT_CALIBRATED)
    value = money_sum((a.currency, a.proposed_expansion_value * rates[a.tier].rate) for a in actionable)
    return Forecast(value=value, value_base=in_base(value, catalog), reason=None)


def _pipeline_tier(
    tier: ReadinessTier, rows: list[AccountAssessment], rate: TierRate | None, catalog: Catalog
) -> TierPipeline:
    value = money_sum((a.currency, a.proposed_expansion_value) for a in rows)
    return TierPipeline(accounts=len(rows), value=value, value_base=in_base(value, catalog), rate=rate)


def _csm_row(csm: str, book: list[AccountAssessment], rates: dict[ReadinessTier, TierRate], catalog: Catalog) -> CsmRow:
    actionable = [a for a in book if is_actionable(a)]
    arr = money_sum((a.currency, a.current_arr) for a in book)
    pipeline = money_sum((a.currency, a.proposed_expansion_value) for a in actionable)
    attention = tuple(sorted(a.account_id for a in book if needs_attention(a)))
    return CsmRow(
        csm=csm,
        accounts=len(book),
        arr=arr,
        arr_base=in_base(arr, catalog),
        pipeline_accounts=len(actionable),
        pipeline_value=pipeline,
        pipeline_value_base=in_base(pipeline, catalog),
        forecast=forecast(actionable, rates, catalog),
        needing_attention=len(attention),
        attention_accounts=attention,
    )


def portfolio_summary(
    book: Sequence[AccountAssessment],
    as_of: date,
    retention: Retention,
    catalog: Catalog,
    rate_for_tier: RateForTier | None = None,
) -> PortfolioSummary:
    actionable = [a for a in book if is_actionable(a)]
    rates = _rates(TIERS, rate_for_tier)
    by_tier: dict[ReadinessTier, list[AccountAssessment]] = {t: [] for t in TIERS}
    for a in actionable:
        by_tier[a.tier].append(a)
    by_csm: dict[str, list[AccountAssessment]] = defaultdict(list)
    for a in book:
        by_csm[a.csm_owner].append(a)
    return PortfolioSummary(
        as_of=as_of,
        base_currency=catalog.base_currency,
        nrr=retention.nrr,
        grr=retention.grr,
        retention=retention,
        accounts=len(book),
        actionable=len(actionable),
        pipeline={t: _pipeline_tier(t, rows, rates.get(t), catalog) for t, rows in by_tier.items()},
        forecast=forecast(actionable, rates, catalog),
        csms=tuple(_csm_row(csm, rows, rates, catalog) for csm, rows in sorted(by_csm.items())),
    )
