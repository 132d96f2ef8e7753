"""Calibrated confidence (SPEC §5) for proposals and the portfolio: the tier's rate from the latest
backtest stored for exactly the current inputs (data files, rules, horizon), else "not calibrated".

    calibration = Calibration.load(desk, store)
    calibration.text("ready")   # "18% (backtest, 412 observations)" or "not calibrated"
    calibration.rate("ready")   # 0.18 or None, for a weighted forecast
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from connectors.workspace import demo_workspace_path
from server.desk import Desk, uses_workspace
from server.store import ProposalStore, StoreError
from skills.backtest.calibration import calibrated_rate_text, tier_rate, tier_rate_and_observations
from skills.backtest.report import BacktestReport
from skills.playbook.readiness_score import ReadinessTier

DEFAULT_HORIZON_DAYS = 180


def inputs_fingerprint(desk: Desk, horizon_days: int) -> str:
    """sha256 of what a backtest result depends on: every workspace file's name, size and mtime,
    the configured connectors (no secrets: only env variable names), the score rules and the horizon."""
    settings = desk.settings
    files: list[tuple[str, int, int]] = []
    if uses_workspace(settings):
        folder = settings.workspace or demo_workspace_path()
        files = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file())
    rules = desk.rules
    payload = {
        "files": files,
        "connectors": settings.connectors.model_dump(mode="json"),
        "rules": rules.model_dump(mode="json", include={"weights", "tiers", "signals", "usage"}),
        "catalog": rules.catalog.model_dump(mode="json"),
        "horizon_days": horizon_days,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Calibration:
    """The stored backtest matching the current inputs, if any."""

    report: BacktestReport | None

    @classmethod
    def load(cls, desk: Desk, store: ProposalStore, horizon_days: int = DEFAULT_HORIZON_DAYS) -> Calibration:
        return cls(store.latest_backtest(inputs_fingerprint(desk, horizon_days)))

    def rate(self, tier: ReadinessTier) -> float | None:
        """The tier's backtested rate when it has ≥ 30 observations, else None."""
        return tier_rate(self.report, tier)

    def rate_for_tier(self, tier: ReadinessTier) -> tuple[float, int] | None:
        """(rate, observations) for the portfolio's weighted forecast, or None when not calibrated."""
        return tier_rate_and_observations(self.report, tier)

    def text(self, tier: ReadinessTier) -> str:
        """ "N% (backtest, n observations)" or "not calibrated"."""
        return calibrated_rate_text(self.report, tier)


def calibrated_rate(desk: Desk, store: ProposalStore, tier: ReadinessTier) -> str:
    return Calibration.load(desk, store).text(tier)


def current_calibration(desk: Desk, store: ProposalStore | None = None) -> Calibration:
    """The calibration for the desk's current inputs. Only reads: with no store given and no SQLite file
    yet, nothing has been backtested (and nothing is created); an unavailable store means "not
    calibrated", not a failure."""
    settings = desk.settings
    if store is None and settings.database_url is None and not settings.store_path.is_file():
        return Calibration(None)
    try:
        return Calibration.load(desk, store or ProposalStore.from_settings(settings))
    except StoreError:
        return Calibration(None)
