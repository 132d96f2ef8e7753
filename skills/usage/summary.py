"""The usage picture the other calculators read: every usage rule applied once per snapshot."""

from __future__ import annotations

from datetime import date, timedelta

from skills.evidence import Result
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, DepartmentSpread, RegionUsage, SharingUser
from skills.usage.activity import active_user_ratio, active_users, utilisation
from skills.usage.credential_sharing import credential_sharing
from skills.usage.organic_spread import organic_spread


class UsageSummary(Result):
    active_users_30d: int
    active_users_90d: int
    seats_licensed: int
    utilisation: float | None
    active_user_ratio: float | None
    sharing_users: tuple[SharingUser, ...]
    new_departments: tuple[DepartmentSpread, ...]
    gate_hits_90d: dict[str, int]
    workflow_completions_90d: int
    other_regions: tuple[RegionUsage, ...]
    capacity_reached_on: date | None = None

    @property
    def demand(self) -> int:
        """People who need a seat: active users plus one per credential-sharing user."""
        return self.active_users_30d + len(self.sharing_users)


def summarise_usage(snapshot: AccountSnapshot, rules: Rules) -> UsageSummary | None:
    """None when the usage source is missing: callers then report usage signals as unknown."""
    usage = snapshot.usage
    if usage is None:
        return None
    account = snapshot.account
    active = active_users(usage)
    return UsageSummary(
        active_users_30d=active,
        active_users_90d=usage.active_users_90d,
        seats_licensed=account.seats_licensed,
        utilisation=utilisation(active, account.seats_licensed),
        active_user_ratio=active_user_ratio(usage),
        sharing_users=credential_sharing(usage, rules.usage),
        new_departments=organic_spread(usage, rules.usage),
        gate_hits_90d=usage.gate_hits_90d,
        workflow_completions_90d=usage.workflow_completions_90d,
        other_regions=tuple(r for r in usage.regions_90d if r.region.lower() != account.region.lower()),
        capacity_reached_on=capacity_reached_on(snapshot, rules.timing.capacity_trigger_utilisation),
    )


def capacity_reached_on(snapshot: AccountSnapshot, threshold: float) -> date | None:
    """First weekly checkpoint of the current run at or above `threshold` utilisation.

    None when utilisation is below the threshold now. Weekly checkpoints make the date accurate
    to within seven days, which is what a trigger log needs.
    """
    usage, seats = snapshot.usage, snapshot.account.seats_licensed
    if usage is None or seats <= 0:
        return None
    reached: date | None = None
    for weeks_back, active in enumerate(usage.weekly_active_users):  # newest first
        if active / seats < threshold:
            break
        reached = usage.as_of - timedelta(days=7 * weeks_back)
    return reached
