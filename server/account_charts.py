"""The charts of one account, as the web page, the MCP App and exported documents show them.

The usage history spans `HISTORY_WEEKS` weekly checkpoints. A snapshot carries the configured number
of checkpoints (13 by default), so the older weeks come from snapshots at earlier days, each one a
point-in-time read of the same source: the calculators stay as they are, and any source works.
Licensed seats are the exported value (no seat history), which the chart's legend says.
"""

from __future__ import annotations

from datetime import timedelta

from server import charts
from server.desk import Desk
from skills.assessment import AccountAssessment
from skills.evidence import Result
from skills.snapshot import AccountSnapshot, CapacityPoint

HISTORY_WEEKS = 26


class AccountCharts(Result):
    """Inline SVG documents; `usage` is None when the account has no usage source."""

    signals: str
    usage: str | None
    timeline: str


def weekly_history(desk: Desk, snapshot: AccountSnapshot, weeks: int = HISTORY_WEEKS) -> tuple[CapacityPoint, ...]:
    """30-day active users at weekly checkpoints back from the snapshot's day, newest first."""
    if snapshot.usage is None:
        return ()
    points = list(snapshot.usage.capacity_history)
    while 0 < len(points) < weeks:
        earlier = desk.snapshot(snapshot.account_id, snapshot.as_of - timedelta(days=7 * len(points)))
        if earlier.usage is None or not earlier.usage.capacity_history:
            break
        points.extend(earlier.usage.capacity_history)
    return tuple(points[:weeks])


def account_charts(desk: Desk, assessment: AccountAssessment, snapshot: AccountSnapshot) -> AccountCharts:
    account = snapshot.account
    history = weekly_history(desk, snapshot)
    return AccountCharts(
        signals=charts.signals_chart(assessment.signals, assessment.score, account.currency, account.arr),
        usage=charts.usage_chart(
            history,
            account.seats_licensed,
            account.currency,
            account.price_per_seat,
            desk.rules.signals.capacity_utilisation,
        )
        if history
        else None,
        timeline=charts.timeline_chart(
            assessment.as_of,
            assessment.triggers,
            assessment.calendar.phases,
            account.renewal_date,
            account.currency,
            assessment.proposed_expansion_value,
        ),
    )
