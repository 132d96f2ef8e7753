"""The backtest report (SPEC §5) over all (account, t) observations, with its two baselines."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

from skills.backtest.metrics import ratio, roc_auc, wilson_interval
from skills.backtest.observations import Observation
from skills.backtest.point_in_time import POINT_IN_TIME
from skills.evidence import Result
from skills.playbook.readiness_score import SIGNAL_RULES, ReadinessTier, SignalId

TIERS: tuple[ReadinessTier, ...] = ("priority", "ready", "candidate", "not_yet")
TOP_TWO: frozenset[ReadinessTier] = frozenset({"priority", "ready"})
RANDOM_SEED = 13


class TierRate(Result):
    tier: ReadinessTier
    n: int
    positives: int
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    lift: float | None


class SignalRate(Result):
    id: SignalId
    n_met: int
    positives_met: int
    precision: float | None
    recall: float | None
    lift: float | None
    point_in_time: bool


class Baseline(Result):
    """A simple ranking over the same observations: its AUC, and the share of positives in what it flags."""

    auc: float | None
    flagged: int
    positives_flagged: int
    capture: float | None
    lift: float | None


class Baselines(Result):
    capacity: Baseline
    """The capacity signal alone (utilisation ≥ 0.80): flags the observations where it is met."""
    random: Baseline
    """A seeded random ranking: flags as many observations as the score's top two tiers."""


class BacktestReport(Result):
    horizon_days: int
    points: tuple[date, ...]
    observations: int
    positives: int
    base_rate: float | None
    auc: float | None
    tiers: tuple[TierRate, ...]
    signals: tuple[SignalRate, ...]
    capture_top2: float | None
    baselines: Baselines

    def tier(self, tier: ReadinessTier) -> TierRate:
        return next(t for t in self.tiers if t.tier == tier)


def _tier_rate(tier: ReadinessTier, chosen: list[Observation], base_rate: float | None) -> TierRate:
    n, positives = len(chosen), sum(o.label for o in chosen)
    rate = ratio(positives, n)
    low, high = wilson_interval(positives, n)
    return TierRate(
        tier=tier,
        n=n,
        positives=positives,
        rate=rate,
        rate_low=low,
        rate_high=high,
        lift=None if rate is None or base_rate is None else ratio(rate, base_rate),
    )


def _signal_rate(
    signal: SignalId, observations: Sequence[Observation], positives: int, base_rate: float | None
) -> SignalRate:
    met = [o for o in observations if signal in o.met]
    positives_met = sum(o.label for o in met)
    precision = ratio(positives_met, len(met))
    return SignalRate(
        id=signal,
        n_met=len(met),
        positives_met=positives_met,
        precision=precision,
        recall=ratio(positives_met, positives),
        lift=None if precision is None or base_rate is None else ratio(precision, base_rate),
        point_in_time=POINT_IN_TIME[signal],
    )


def _baseline(
    scores: Sequence[float], flags: Sequence[bool], labels: Sequence[bool], base_rate: float | None
) -> Baseline:
    flagged = sum(flags)
    hit = sum(1 for f, y in zip(flags, labels, strict=True) if f and y)
    precision = ratio(hit, flagged)
    return Baseline(
        auc=roc_auc(scores, labels),
        flagged=flagged,
        positives_flagged=hit,
        capture=ratio(hit, sum(labels)),
        lift=None if precision is None or base_rate is None else ratio(precision, base_rate),
    )


def random_ranking(observations: Sequence[Observation], seed: int = RANDOM_SEED) -> list[float]:
    """A deterministic random score per observation: the same observations and seed, the same ranking."""
    keys = sorted(range(len(observations)), key=lambda i: (observations[i].at, observations[i].account_id))
    rng = random.Random(seed)
    scores = [0.0] * len(observations)
    for i in keys:
        scores[i] = rng.random()
    return scores


def backtest_report(
    observations: Sequence[Observation], points: Sequence[date], horizon_days: int, seed: int = RANDOM_SEED
) -> BacktestReport:
    labels = [o.label for o in observations]
    positives = sum(labels)
    base_rate = ratio(positives, len(observations))
    top_two = [o.tier in TOP_TWO for o in observations]
    capacity = [("capacity" in o.met) for o in observations]
    noise = random_ranking(observations, seed)
    cut = sorted(noise, reverse=True)[sum(top_two) - 1] if any(top_two) else None
    random_flags = [cut is not None and s >= cut for s in noise]
    return BacktestReport(
        horizon_days=horizon_days,
        points=tuple(sorted(points)),
        observations=len(observations),
        positives=positives,
        base_rate=base_rate,
        auc=roc_auc([o.score for o in observations], labels),
        tiers=tuple(_tier_rate(t, [o for o in observations if o.tier == t], base_rate) for t in TIERS),
        signals=tuple(_signal_rate(s, observations, positives, base_rate) for s in SIGNAL_RULES),
        capture_top2=ratio(sum(1 for f, y in zip(top_two, labels, strict=True) if f and y), positives),
        baselines=Baselines(
            capacity=_baseline([float(c) for c in capacity], capacity, labels, base_rate),
            random=_baseline(noise, random_flags, labels, base_rate),
        ),
    )
