"""Segment peers (skills/proposal/benchmarks.py) for a whole book, straight from its usage facts.

The same metrics `skills.assessment.peer_metrics` takes from each account's usage summary, without
building a snapshot per account: the book's benchmarks are one pass over its activity figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from skills.proposal.benchmarks import PeerMetrics, SegmentPeers, segment_peers
from skills.snapshot import Account
from skills.usage.activity import utilisation

Activity = tuple[int, int, int]
"""active users (30d), active users (90d), workflow completions (90d)"""


def book_peers(accounts: Iterable[Account], activity_of: Callable[[str], Activity | None]) -> SegmentPeers:
    """`activity_of(account_id)`: the account's activity figures, None when its usage is missing."""
    return segment_peers(_metrics(a, activity_of(a.account_id)) for a in accounts)


def _metrics(account: Account, activity: Activity | None) -> PeerMetrics:
    if activity is None:
        return PeerMetrics(
            account_id=account.account_id,
            segment=account.segment,
            utilisation=None,
            active_user_ratio=None,
            workflow_completions_90d=None,
        )
    active_30, active_90, workflows = activity
    return PeerMetrics(
        account_id=account.account_id,
        segment=account.segment,
        utilisation=utilisation(active_30, account.seats_licensed),
        active_user_ratio=active_30 / active_90 if active_90 else None,
        workflow_completions_90d=workflows,
    )
