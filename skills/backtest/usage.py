"""The usage facts the readiness score reads, at a past day, from the same SQL as `aggregate_usage`.

The score reads active users (30d), feature-gate hits (90d) and new departments (organic spread);
a backtest runs those three statements once per point. The aggregates only other calculators read
(credential sharing, regions, the weekly capacity history) are left empty, which no signal reads:
`tests/test_backtest_replay.py` checks the replay against full snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from skills.rules import UsageRules
from skills.snapshot import DepartmentSpread, UsageFacts
from skills.usage.activity import ACTIVITY_SQL, GATE_HITS_SQL
from skills.usage.aggregate import as_date, usage_binds
from skills.usage.organic_spread import ORGANIC_SPREAD_SQL
from skills.usage.sql import Executor, Scope

NO_ACTIVITY: tuple[int, int, int, date | None] = (0, 0, 0, None)


def score_usage(run: Executor, scope: Scope, as_of: date, rules: UsageRules) -> dict[str, UsageFacts]:
    """Usage facts at `as_of` (events after it are ignored by the SQL) for every account with events."""
    binds = usage_binds(as_of, rules)

    def rows(template: str) -> Iterable[tuple[Any, ...]]:
        sql = scope.render(template)
        return run(sql, scope.binds(sql, binds))

    active: dict[str, tuple[int, int, int, date | None]] = {
        account_id: (int(a30), int(a90), int(workflows or 0), None if newest is None else as_date(newest))
        for account_id, a30, a90, workflows, newest in rows(ACTIVITY_SQL)
    }
    gates: dict[str, dict[str, int]] = defaultdict(dict)
    for account_id, feature, hits in rows(GATE_HITS_SQL):
        gates[account_id][feature] = int(hits)
    spread: dict[str, list[DepartmentSpread]] = defaultdict(list)
    for account_id, department, first_ts, users in rows(ORGANIC_SPREAD_SQL):
        spread[account_id].append(DepartmentSpread(department=department, first_seen=as_date(first_ts), users=users))
    return {
        account_id: UsageFacts.model_construct(  # built from typed SQL results: no revalidation per account
            as_of=as_of,
            active_users_30d=active.get(account_id, NO_ACTIVITY)[0],
            active_users_90d=active.get(account_id, NO_ACTIVITY)[1],
            workflow_completions_90d=active.get(account_id, NO_ACTIVITY)[2],
            newest_event=active.get(account_id, NO_ACTIVITY)[3],
            new_departments=tuple(sorted(spread[account_id], key=lambda d: d.department)),
            sharing_users=(),
            gate_hits_90d=dict(sorted(gates[account_id].items())),
            regions_90d=(),
            weekly_active_users=(),
        )
        for account_id in set(active) | set(spread)
    }
