"""Pre-renewal timeline (seed 003): with renewal inside six months, milestones 12/8/4/2 weeks before it."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from skills.days import add_months
from skills.evidence import Result
from skills.rules import Rules

MILESTONES = {
    12: ("Executive business review: value delivered against the original goals", "CSM"),
    8: ("Renewal + expansion proposal", "AE"),
    4: ("Negotiate and finalise", "AE"),
    2: ("Contract execution", "Legal"),
}


class RenewalMilestone(Result):
    weeks_before: int
    date: date
    action: str
    owner: str
    past: bool


def pre_renewal_timeline(as_of: date, renewal_date: date, rules: Rules) -> tuple[RenewalMilestone, ...]:
    """Empty unless the renewal falls within the horizon; milestones already behind us are marked past."""
    calendar = rules.calendar
    return _milestones(as_of, renewal_date, calendar.pre_renewal_horizon_months, calendar.pre_renewal_weeks)


@lru_cache(maxsize=4096)
def _milestones(
    as_of: date, renewal_date: date, horizon_months: int, milestone_weeks: tuple[int, ...]
) -> tuple[RenewalMilestone, ...]:
    """Shared by every account renewing on the same day (milestones are immutable): a book's
    renewals fall on a few hundred days."""
    if not as_of <= renewal_date <= add_months(as_of, horizon_months):
        return ()
    out = []
    for weeks in milestone_weeks:
        action, owner = MILESTONES.get(weeks, (f"Renewal checkpoint ({weeks} weeks out)", "CSM"))
        when = renewal_date - timedelta(weeks=weeks)
        out.append(RenewalMilestone(weeks_before=weeks, date=when, action=action, owner=owner, past=when < as_of))
    return tuple(out)
