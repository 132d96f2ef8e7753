"""What changed between two days (SPEC §6): per account, the score, tier, gate, blockers and offer on
each day, and the signals gained and lost with their evidence.

score_to − score_from = Σ points gained − Σ points lost: a signal counts its points only when met,
so every point of difference is a signal that became met (gained) or stopped being met (lost).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from skills.assessment import AccountAssessment
from skills.catalog import ExpansionType
from skills.evidence import Result
from skills.playbook.readiness_score import ReadinessTier, Signal, SignalId
from skills.playbook.timing import BlockerId
from skills.snapshot import Source


class SignalChange(Result):
    id: SignalId
    points: int
    evidence: str  # on the day it is gained, or why it no longer holds on the day it is lost
    source: Source
    evidence_before: str  # the same signal's evidence on the other day


class AccountChange(Result):
    account_id: str
    name: str
    csm_owner: str
    score_from: int
    score_to: int
    tier_from: ReadinessTier
    tier_to: ReadinessTier
    signals_gained: tuple[SignalChange, ...]
    signals_lost: tuple[SignalChange, ...]
    gate_from: bool
    gate_to: bool
    blockers_from: tuple[BlockerId, ...]
    blockers_to: tuple[BlockerId, ...]
    offer_from: ExpansionType
    offer_to: ExpansionType

    @property
    def score_delta(self) -> int:
        return self.score_to - self.score_from


class BookChanges(Result):
    date_from: date
    date_to: date
    accounts_compared: int
    only_on_from: tuple[str, ...]  # account ids in the book on one day only
    only_on_to: tuple[str, ...]
    changes: tuple[AccountChange, ...]


def _blocker_ids(a: AccountAssessment) -> tuple[BlockerId, ...]:
    return tuple(sorted({b.id for b in a.blockers}))


def _signal_change(now: Signal, other: Signal, points: int) -> SignalChange:
    return SignalChange(
        id=now.id, points=points, evidence=now.evidence, source=now.source, evidence_before=other.evidence
    )


def account_change(before: AccountAssessment, after: AccountAssessment) -> AccountChange | None:
    """The difference for one account, or None when score, tier, gate, blockers and offer are all the same."""
    was = {s.id: s for s in before.signals}
    gained = tuple(_signal_change(s, was[s.id], s.points) for s in after.signals if s.met and not was[s.id].met)
    lost = tuple(_signal_change(s, was[s.id], was[s.id].points) for s in after.signals if was[s.id].met and not s.met)
    change = AccountChange(
        account_id=after.account_id,
        name=after.name,
        csm_owner=after.csm_owner,
        score_from=before.score,
        score_to=after.score,
        tier_from=before.tier,
        tier_to=after.tier,
        signals_gained=gained,
        signals_lost=lost,
        gate_from=before.gate.passed,
        gate_to=after.gate.passed,
        blockers_from=_blocker_ids(before),
        blockers_to=_blocker_ids(after),
        offer_from=before.expansion_type,
        offer_to=after.expansion_type,
    )
    same = (
        change.score_from == change.score_to
        and change.tier_from == change.tier_to
        and change.gate_from == change.gate_to
        and change.blockers_from == change.blockers_to
        and change.offer_from == change.offer_to
    )
    return None if same else change


def book_changes(
    before: Iterable[AccountAssessment], after: Iterable[AccountAssessment], date_from: date, date_to: date
) -> BookChanges:
    """Accounts in the book on both days, biggest score move first (then account id)."""
    old = {a.account_id: a for a in before}
    new = {a.account_id: a for a in after}
    both = sorted(set(old) & set(new))
    changes = [c for c in (account_change(old[i], new[i]) for i in both) if c is not None]
    changes.sort(key=lambda c: (-abs(c.score_delta), c.account_id))
    return BookChanges(
        date_from=date_from,
        date_to=date_to,
        accounts_compared=len(both),
        only_on_from=tuple(sorted(set(old) - set(new))),
        only_on_to=tuple(sorted(set(new) - set(old))),
        changes=tuple(changes),
    )
