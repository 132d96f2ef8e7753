"""Calibrated confidence (SPEC §5): a tier's win probability is its backtested rate once the tier
has at least 30 observations; below that it is "not calibrated"."""

from __future__ import annotations

from skills.backtest.report import BacktestReport
from skills.playbook.readiness_score import ReadinessTier

MIN_OBSERVATIONS = 30
NOT_CALIBRATED = "not calibrated"


def tier_rate(report: BacktestReport | None, tier: ReadinessTier) -> float | None:
    """The tier's backtested rate, or None without a backtest or with fewer than 30 observations."""
    if report is None:
        return None
    row = report.tier(tier)
    return row.rate if row.n >= MIN_OBSERVATIONS else None


def tier_rate_and_observations(report: BacktestReport | None, tier: ReadinessTier) -> tuple[float, int] | None:
    """(rate, observations) for a weighted forecast, or None when the tier is not calibrated."""
    rate = tier_rate(report, tier)
    return None if report is None or rate is None else (rate, report.tier(tier).n)


def calibrated_rate_text(report: BacktestReport | None, tier: ReadinessTier) -> str:
    """ "N% (backtest, n observations)" or "not calibrated"."""
    rate = tier_rate(report, tier)
    if report is None or rate is None:
        return NOT_CALIBRATED
    return f"{round(rate * 100)}% (backtest, {report.tier(tier).n} observations)"
