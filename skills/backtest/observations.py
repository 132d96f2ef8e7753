"""One observation per (account, t): the score replayed at `t` and whether an expansion followed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from skills.backtest.labels import expansion_won
from skills.backtest.point_in_time import as_of_point, in_book
from skills.evidence import Result
from skills.playbook.readiness_score import SIGNAL_RULES, ReadinessTier, SignalId, readiness_tier
from skills.rules import ReadinessWeights, Rules
from skills.snapshot import AccountSnapshot
from skills.usage.summary import summarise_usage


class Observation(Result):
    account_id: str
    at: date
    score: int
    tier: ReadinessTier
    met: tuple[SignalId, ...]
    """Signals met at `t` (an unknown signal, source missing, is not met: it scored 0)."""
    label: bool


def observe(snapshot: AccountSnapshot, rules: Rules, horizon_days: int) -> Observation | None:
    """The score at `snapshot.as_of` from rows dated on or before it; None when the account was not yet signed.

    `snapshot` holds every row (the label reads deals after `t`); usage must be aggregated at `t`.
    """
    t = snapshot.as_of
    if not in_book(snapshot.account, t):
        return None
    past = as_of_point(snapshot)
    usage = summarise_usage(past, rules)
    # the score's own rules, without building evidence models: score = Σ weight of the met signals
    met = tuple(signal for signal, rule in SIGNAL_RULES.items() if rule(past, usage, rules)[0])
    score = sum(getattr(rules.weights, signal) for signal in met)
    return Observation(
        account_id=snapshot.account_id,
        at=t,
        score=score,
        tier=readiness_tier(score, rules),
        met=met,
        label=expansion_won(snapshot.deals, t, horizon_days),
    )


def observe_book(snapshots: Iterable[AccountSnapshot], rules: Rules, horizon_days: int) -> list[Observation]:
    return [o for o in (observe(s, rules, horizon_days) for s in snapshots) if o is not None]


def rescore(observation: Observation, weights: ReadinessWeights) -> int:
    """The score the same met signals give under other weights."""
    return sum(getattr(weights, signal) for signal in observation.met)
