"""Organic spread: departments whose first event for the account falls in the last 90 days."""

from __future__ import annotations

from skills.days import within_last
from skills.rules import UsageRules
from skills.snapshot import DepartmentSpread, UsageFacts

ORGANIC_SPREAD_SQL = """
SELECT account_id, department, MIN(first_ts) AS first_ts, COUNT(user_id) AS users
FROM (
    SELECT account_id, department, user_id, MIN(ts) AS first_ts
    FROM {events}
    WHERE ts < :end AND department IS NOT NULL AND department <> '' {account_filter}
    GROUP BY account_id, department, user_id
) AS department_users
GROUP BY account_id, department
HAVING MIN(first_ts) >= :signal_start
"""
"""Each department's first event and distinct users, from one row per (account, department, user):
cheaper than `COUNT(DISTINCT user_id)` per department in DuckDB (100k book: 7.1 -> 5.9 CPU-s)."""


def organic_spread(usage: UsageFacts, rules: UsageRules) -> tuple[DepartmentSpread, ...]:
    """New departments with their distinct users, newest first."""
    spread = [d for d in usage.new_departments if within_last(usage.as_of, d.first_seen, rules.signal_window_days)]
    return tuple(sorted(spread, key=lambda d: (d.first_seen, d.department), reverse=True))
