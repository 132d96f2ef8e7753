"""Turns the usage SQL results into one `UsageFacts` per account, for one account or a whole book."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar

from skills.rules import UsageRules
from skills.snapshot import DepartmentSpread, RegionUsage, SharingUser, UsageFacts
from skills.usage.activity import (
    ACTIVITY_SQL,
    GATE_HITS_SQL,
    REGIONS_SQL,
    activity_and_history_sql,
    capacity_binds,
)
from skills.usage.credential_sharing import CREDENTIAL_SHARING_SQL
from skills.usage.organic_spread import ORGANIC_SPREAD_SQL
from skills.usage.sql import Executor, Scope, day_bounds, rows_in_turn

T = TypeVar("T")


def usage_binds(as_of: date, rules: UsageRules) -> dict[str, Any]:
    """Window boundaries for every query, derived once from the SPEC day rule."""
    signal_start, end = day_bounds(as_of, rules.signal_window_days)
    active_start, _ = day_bounds(as_of, rules.active_window_days)
    sharing_start, _ = day_bounds(as_of, rules.sharing_lookback_days)
    window = timedelta(minutes=rules.sharing_window_minutes)
    binds: dict[str, Any] = {
        "end": end,
        "signal_start": signal_start,
        "active_start": active_start,
        "sharing_start": sharing_start,
        "sharing_scan_start": sharing_start - window,
        "sharing_window": window,
        **capacity_binds(as_of, rules.capacity_checkpoints, rules.active_window_days),
    }
    binds["scan_start"] = min(binds["history_start"], signal_start)
    return binds


def as_date(value: Any) -> date:
    if isinstance(value, str):  # engines without a timestamp type (SQLite) return text
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def aggregate_usage(
    run: Executor, scope: Scope, as_of: date, rules: UsageRules, *, bit_or: bool = False
) -> dict[str, UsageFacts]:
    """Usage facts for every account in `scope` that has events in the signal window or history.
    `bit_or`: the engine has BIT_OR (see `activity_and_history_sql`).

    Accounts with no events at all are absent from the result: they have zero usage, which the
    caller records as `UsageFacts` with zeros (usage known to be nil), not as missing evidence.
    """
    binds = usage_binds(as_of, rules)
    templates = (
        # credential sharing first: its window function takes the most memory (~1 GB at 100,000
        # accounts), best spent while the caller's other tables are still loading beside it; the
        # cheapest last, so little is left to do once the engine is done
        CREDENTIAL_SHARING_SQL,
        activity_and_history_sql(rules.capacity_checkpoints, bit_or=bit_or),
        ORGANIC_SPREAD_SQL,
        REGIONS_SQL,
        GATE_HITS_SQL,
    )
    statements = [(sql, scope.binds(sql, binds)) for sql in map(scope.render, templates)]
    sharing: dict[str, list[SharingUser]] = defaultdict(list)
    spread: dict[str, list[DepartmentSpread]] = defaultdict(list)
    regions: dict[str, list[RegionUsage]] = defaultdict(list)
    gates: dict[str, dict[str, int]] = defaultdict(dict)
    with closing(rows_in_turn(run, statements)) as results:  # each read as the next one runs
        for account_id, user_id, days in next(results):
            sharing[account_id].append(SharingUser(user_id=user_id, days=days))
        facts, history = _activity(next(results), as_of)
        for account_id, department, first_ts, users in next(results):
            first_seen = as_date(first_ts)
            spread[account_id].append(DepartmentSpread(department=department, first_seen=first_seen, users=users))
        for account_id, region, users in next(results):
            regions[account_id].append(RegionUsage(region=region, users_90d=users))
        for account_id, feature, hits in next(results):
            gates[account_id][feature] = int(hits)

    no_history = (0,) * rules.capacity_checkpoints
    out: dict[str, UsageFacts] = {}
    for account_id in facts.keys() | spread.keys() | history.keys():
        hits = gates.get(account_id)
        out[account_id] = UsageFacts(
            **facts[account_id],
            new_departments=_ordered(spread.get(account_id), attrgetter("department")),
            sharing_users=_ordered(sharing.get(account_id), attrgetter("user_id")),
            gate_hits_90d=dict(sorted(hits.items())) if hits else {},
            regions_90d=_ordered(regions.get(account_id), attrgetter("region")),
            weekly_active_users=history.get(account_id, no_history),
        )
    return out


def _ordered(items: list[T] | None, key: Callable[[T], str]) -> tuple[T, ...]:
    return tuple(sorted(items, key=key)) if items else ()


def activity_usage(run: Executor, scope: Scope, as_of: date, rules: UsageRules) -> dict[str, UsageFacts]:
    """The activity figures alone (active users, workflow completions) of every account in `scope`
    with events in the signal window, in one scan of that window: what segment benchmarks read. The
    other usage facts are left empty, so these never feed a score; absent accounts have zero usage."""
    sql = scope.render(ACTIVITY_SQL)
    facts, _ = _activity(run(sql, scope.binds(sql, usage_binds(as_of, rules))), as_of)
    return {account_id: UsageFacts(**fields) for account_id, fields in facts.items()}


def _activity(
    rows: Iterable[tuple[Any, ...]], as_of: date
) -> tuple[defaultdict[str, dict[str, Any]], dict[str, tuple[int, ...]]]:
    """The activity-and-history rows as UsageFacts fields per account, and the weekly history."""
    facts: defaultdict[str, dict[str, Any]] = defaultdict(
        lambda: {"as_of": as_of, "active_users_30d": 0, "active_users_90d": 0, "workflow_completions_90d": 0}
    )
    history: dict[str, tuple[int, ...]] = {}
    for account_id, active_30, active_90, workflows, newest, *counts in rows:
        if active_90:  # the account has events in the signal window
            facts[account_id].update(
                active_users_30d=int(active_30 or 0),
                active_users_90d=int(active_90),
                workflow_completions_90d=int(workflows or 0),
                newest_event=None if newest is None else as_date(newest),
            )
        history[account_id] = tuple(int(n or 0) for n in counts)
    return facts, history


def no_usage(as_of: date, rules: UsageRules) -> UsageFacts:
    """Facts for an account whose usage source answered with no events: zeros, not unknown."""
    return UsageFacts(
        as_of=as_of,
        active_users_30d=0,
        active_users_90d=0,
        workflow_completions_90d=0,
        weekly_active_users=(0,) * rules.capacity_checkpoints,
    )
