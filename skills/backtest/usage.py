"""The usage facts the readiness score reads, at a past day, from the same SQL as `aggregate_usage`.

The score reads active users (30d), feature-gate hits (90d) and new departments (organic spread);
a backtest runs those three statements once per point. The aggregates only other calculators read
(credential sharing, regions, the weekly capacity history) are left empty, which no signal reads:
`tests/test_backtest_replay.py` checks the replay against full snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from skills.rules import UsageRules
from skills.snapshot import DepartmentSpread, UsageFacts
from skills.usage.activity import ACTIVITY_SQL, GATE_HITS_SQL
from skills.usage.aggregate import usage_binds
from skills.usage.organic_spread import ORGANIC_SPREAD_SQL
from skills.usage.sql import Executor, Scope


def score_usage(run: Executor, scope: Scope, as_of: date, rules: UsageRules) -> dict[str, UsageFacts]:
    """Usage facts at `as_of` (events after it are ignored by the SQL) for every account with events."""
    binds = usage_binds(as_of, rules)

    def rows(template: str) -> Iterable[tuple[Any, ...]]:
        sql = scope.render(template)
        return run(sql, scope.binds(sql, binds))

    active: dict[str, tuple[int, int, int]] = {
        account_id: (int(a30), int(a90), int(workflows or 0)) for account_id, a30, a90, workflows in rows(ACTIVITY_SQL)
    }
    gates: dict[str, dict[str, int]] = defaultdict(dict)
    for account_id, feature, hits in rows(GATE_HITS_SQL):
        gates[account_id][feature] = int(hits)
    spread: dict[str, list[DepartmentSpread]] = defaultdict(list)
    for account_id, department, first_ts, users in rows(ORGANIC_SPREAD_SQL):
        first = first_ts.date() if isinstance(first_ts, datetime) else first_ts
        spread[account_id].append(DepartmentSpread(department=department, first_seen=first, users=users))
    return {
        account_id: UsageFacts.model_construct(  # built from typed SQL results: no revalidation per account
            as_of=as_of,
            active_users_30d=active.get(account_id, (0, 0, 0))[0],
            active_users_90d=active.get(account_id, (0, 0, 0))[1],
            workflow_completions_90d=active.get(account_id, (0, 0, 0))[2],
            new_departments=tuple(sorted(spread[account_id], key=lambda d: d.department)),
            sharing_users=(),
            gate_hits_90d=dict(sorted(gates[account_id].items())),
            regions_90d=(),
            weekly_active_users=(),
        )
        for account_id in set(active) | set(spread)
    }
