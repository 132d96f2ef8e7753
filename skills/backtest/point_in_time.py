"""Point-in-time view of a snapshot (SPEC §5): at `t` only rows dated on or before `t` exist.

The snapshot's `as_of` is the point `t`; its usage facts must already be aggregated at `t` (the usage
SQL reads only events before the end of `as_of`). Account fields have no history (employees,
revenue, health, seats, integrations, renewal date): they are used as exported, and the signals
that read them are reported with `point_in_time: false`.
"""

from __future__ import annotations

from datetime import date

from skills.playbook.readiness_score import SignalId
from skills.snapshot import Account, AccountSnapshot

POINT_IN_TIME: dict[SignalId, bool] = {
    "capacity": False,  # utilisation divides by seats_licensed as exported
    "recent_outcome": True,
    "team_growth": False,  # employees_now / employees_at_signing as exported
    "asked_unowned_features": True,
    "promoter": True,
    "renewal_window": False,  # renewal_date as exported (today's contract term)
    "aligned_initiative": True,  # unowned modules read products as exported, the mention is dated
    "one_seat_many_users": False,  # seats_licensed as exported
    "company_growth": False,  # revenue and employees as exported
}
"""Whether each signal reads only dated rows at `t` (True) or also an account field with no history."""


def in_book(account: Account, t: date) -> bool:
    """The book at `t`: accounts whose contract had started on or before `t`."""
    return account.contract_start <= t


def as_of_point(snapshot: AccountSnapshot) -> AccountSnapshot:
    """The snapshot as it was at `snapshot.as_of`: every dated row after that day removed.

    Usage, interactions, outcomes by their day; tickets by opened_at; deals by close_date (an
    undated deal is dropped: it cannot be placed before `t`); contacts by last_engaged_at (an
    undated contact is kept as exported, like the account fields).
    """
    t = snapshot.as_of
    return snapshot.model_copy(
        update={
            "contacts": tuple(c for c in snapshot.contacts if c.last_engaged_at is None or c.last_engaged_at <= t),
            "deals": tuple(d for d in snapshot.deals if d.close_date is not None and d.close_date <= t),
            "tickets": tuple(k for k in snapshot.tickets if k.opened_at <= t),
            "interactions": tuple(i for i in snapshot.interactions if i.ts.date() <= t),
            "outcomes": tuple(o for o in snapshot.outcomes if o.ts <= t),
        }
    )
