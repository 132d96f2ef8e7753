"""What would move the score: the points to the next readiness tier and the unmet signals that alone close the gap."""

from __future__ import annotations

from skills.evidence import Result
from skills.playbook.readiness_score import ReadinessScore, ReadinessTier, SignalId
from skills.rules import Rules


class SignalOption(Result):
    id: SignalId
    weight: int
    unknown: bool = False  # its source is missing: it may already hold


class NextTier(Result):
    tier: ReadinessTier | None  # None at the top tier
    points_needed: int | None
    signals_alone: tuple[SignalOption, ...]  # unmet signals whose weight alone closes the gap, heaviest first
    largest_unmet: SignalOption | None
    summary: str


def next_tier_up(tier: ReadinessTier) -> ReadinessTier | None:
    return {"not_yet": "candidate", "candidate": "ready", "ready": "priority", "priority": None}[tier]


def _cutoff(tier: ReadinessTier, rules: Rules) -> int:
    return {"priority": rules.tiers.priority, "ready": rules.tiers.ready, "candidate": rules.tiers.candidate}[tier]


def out_of_reach(seats_licensed: int) -> frozenset[SignalId]:
    """Signals the account cannot gain without changing its contract: one_seat_many_users needs exactly one seat."""
    return frozenset() if seats_licensed == 1 else frozenset({"one_seat_many_users"})


def next_tier(score: ReadinessScore, rules: Rules, unreachable: frozenset[SignalId] = frozenset()) -> NextTier:
    """`unreachable` signals are never offered as a way up (see `out_of_reach`)."""
    target = next_tier_up(score.tier)
    if target is None:
        return NextTier(
            tier=None, points_needed=None, signals_alone=(), largest_unmet=None, summary="already in the top tier"
        )
    gap = _cutoff(target, rules) - score.score
    unmet = sorted(
        ((s.weight, s.id, s.met is None) for s in score.signals if s.met is not True and s.id not in unreachable),
        key=lambda o: (-o[0], o[1]),
    )
    alone = tuple(SignalOption(id=i, weight=w, unknown=u) for w, i, u in unmet if w >= gap)
    largest = (
        alone[0]
        if alone
        else (SignalOption(id=unmet[0][1], weight=unmet[0][0], unknown=unmet[0][2]) if unmet else None)
    )

    def named(o: SignalOption) -> str:
        return f"{o.id} ({o.weight}{', unknown: data missing' if o.unknown else ''})"

    if alone:
        summary = f"{gap} points to {target}: " + " or ".join(named(o) for o in alone) + " would get there alone"
    elif largest is not None:
        summary = f"{gap} points to {target}: no single signal is enough (largest unmet: {named(largest)})"
    else:
        summary = f"{gap} points to {target}: every signal is already met"
    return NextTier(tier=target, points_needed=gap, signals_alone=alone, largest_unmet=largest, summary=summary)
