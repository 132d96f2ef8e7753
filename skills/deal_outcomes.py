"""The outcomes loop: which triggers and offer types preceded won (and lost) expansion deals.

Each closed expansion deal is one observation: the triggers and offer the desk saw before it closed
(from the stored proposal when one preceded it, else from the account as it stood `lead_days` before
the close). Counting them shows what actually wins, not only what CSMs approve.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from skills.catalog import ExpansionType
from skills.evidence import Result
from skills.playbook.timing import TriggerId

SignalsFrom = Literal["proposal", "assessment"]


class DealObservation(Result):
    deal_id: str
    account_id: str
    close_date: date
    won: bool
    amount: float
    observed_on: date = Field(description="the day the triggers and offer were read")
    signals_from: SignalsFrom
    triggers: tuple[TriggerId, ...]
    offer: ExpansionType
    proposal_id: str | None = None


class OutcomeRate(Result):
    key: str
    won: int
    lost: int
    win_rate: float | None  # won / (won + lost); None without a closed deal


class LinkedProposal(Result):
    proposal_id: str
    account_id: str
    deal_id: str
    offer: ExpansionType
    outcome: Literal["won", "lost"]


class OutcomeInsights(Result):
    lead_days: int
    deals: int
    won: int
    lost: int
    won_without_trigger: int = Field(description="won deals with no trigger before them")
    by_trigger: tuple[OutcomeRate, ...]
    by_offer: tuple[OutcomeRate, ...]
    proposals: tuple[LinkedProposal, ...] = Field(description="stored proposals followed by a closed deal")


def _rates(pairs: Iterable[tuple[str, bool]]) -> tuple[OutcomeRate, ...]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, won in pairs:
        counts[key][0 if won else 1] += 1
    rows = [
        OutcomeRate(key=k, won=w, lost=n, win_rate=round(w / (w + n), 3) if w + n else None)
        for k, (w, n) in counts.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.won, r.key)))


def learn_from_outcomes(observations: Sequence[DealObservation], lead_days: int) -> OutcomeInsights:
    won = [o for o in observations if o.won]
    return OutcomeInsights(
        lead_days=lead_days,
        deals=len(observations),
        won=len(won),
        lost=len(observations) - len(won),
        won_without_trigger=sum(1 for o in won if not o.triggers),
        by_trigger=_rates((t, o.won) for o in observations for t in o.triggers),
        by_offer=_rates((o.offer, o.won) for o in observations),
        proposals=tuple(
            LinkedProposal(
                proposal_id=o.proposal_id,
                account_id=o.account_id,
                deal_id=o.deal_id,
                offer=o.offer,
                outcome="won" if o.won else "lost",
            )
            for o in sorted(observations, key=lambda o: (o.close_date, o.deal_id))
            if o.proposal_id is not None
        ),
    )
