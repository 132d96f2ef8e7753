"""Running the usage SQL: the activity SQL's two forms (portable MAX(CASE) flags, DuckDB's BIT_OR mask)
give the same rows, and the statements run one at a time, ahead of the caller reading their rows."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from connectors.usage_events import UsageEvents, duckdb_rows
from connectors.workspace import demo_workspace_path
from skills.rules import UsageRules
from skills.usage.activity import BIT_OR_FLAGS, activity_and_history_sql
from skills.usage.aggregate import aggregate_usage, usage_binds
from skills.usage.sql import Scope, rows_in_turn, to_dollar_binds

AS_OF = date(2026, 11, 23)
TICK = timedelta(microseconds=1)


def boundary_events(binds: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Events on both sides of every window edge the flags test, one user per edge (and a user-less
    event at each): a flag that took `<=` for `<`, or one bit for another, moves a count."""
    edges = sorted({v for k, v in binds.items() if k.startswith("cp_") or k in ("signal_start", "active_start", "end")})
    events = []
    for n, edge in enumerate(edges):
        for m, ts in enumerate((edge - TICK, edge, edge + TICK)):
            account = f"ACC-{n % 3}"
            events.append((ts, account, f"U-{n}-{m}", "workflow_completed" if m == 1 else "login"))
            events.append((ts, account, None, "login"))
    return events


@pytest.mark.parametrize("checkpoints", [1, 13, BIT_OR_FLAGS - 2, BIT_OR_FLAGS])
def test_bit_or_flags_count_the_same_users_as_the_portable_ones(checkpoints: int) -> None:
    rules = UsageRules(capacity_checkpoints=checkpoints)
    binds = usage_binds(AS_OF, rules)
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute("CREATE TABLE usage_events (ts TIMESTAMP, account_id VARCHAR, user_id VARCHAR, event VARCHAR)")
    db.executemany("INSERT INTO usage_events VALUES (?, ?, ?, ?)", boundary_events(binds))
    scope = Scope("usage_events")

    def rows(bit_or: bool) -> list[tuple[Any, ...]]:
        sql = scope.render(activity_and_history_sql(checkpoints, bit_or=bit_or))
        assert ("BIT_OR" in sql) == (bit_or and checkpoints + 2 <= BIT_OR_FLAGS)
        found = db.execute(to_dollar_binds(sql), scope.binds(sql, binds)).fetchall()
        return sorted(tuple(int(v) if isinstance(v, int | float) else v for v in row) for row in found)

    portable = rows(False)
    assert rows(True) == portable
    # not vacuous: the windows split the users, so the counts differ between columns
    assert len({row[1:3] + row[5:] for row in portable}) > 1 or checkpoints == 1
    assert sum(row[1] for row in portable) < sum(row[2] for row in portable)


def test_the_demo_books_usage_is_the_same_either_way() -> None:
    events = UsageEvents(demo_workspace_path() / "usage_events.csv", None)
    try:
        rules = UsageRules()
        portable = aggregate_usage(events.run, Scope("usage_events"), AS_OF, rules)
        assert portable == aggregate_usage(events.run, Scope("usage_events"), AS_OF, rules, bit_or=True)
        assert sum(f.active_users_30d for f in portable.values()) > 0
    finally:
        events.close()


def test_statements_run_one_at_a_time_in_order_the_next_while_the_last_is_read() -> None:
    started = {name: threading.Event() for name in "abc"}
    running, most = [0], [0]
    lock = threading.Lock()

    def run(sql: str, binds: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        started[sql].set()
        assert started["a"].is_set() and (sql != "c" or started["b"].is_set())  # in order
        with lock:
            running[0] -= 1
        return [(sql, binds["n"])]

    turns = rows_in_turn(run, [(name, {"n": n}) for n, name in enumerate("abc")])
    assert next(turns) == [("a", 0)]
    assert started["b"].wait(5)  # runs while the caller still holds a's rows
    assert list(turns) == [[("b", 1)], [("c", 2)]]
    assert most[0] == 1


def test_a_failing_statement_raises_where_its_rows_are_read() -> None:
    def run(sql: str, binds: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        if sql == "bad":
            raise RuntimeError("no such table: usage")
        return [(sql,)]

    turns = rows_in_turn(run, [("ok", {}), ("bad", {}), ("after", {})])
    assert next(turns) == [("ok",)]
    with pytest.raises(RuntimeError, match="no such table"):
        next(turns)


def test_duckdb_rows_read_through_numpy_equal_fetchall() -> None:
    db = duckdb.connect()
    db.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('ACC-1', 3::BIGINT, TIMESTAMP '2026-11-20 10:00:00'), "
        "('ACC-2', NULL, NULL), ('ACC-3', 5, TIMESTAMP '2026-11-21 00:00:00.123456')) AS v(a, n, ts)"
    )
    # a name twice, a 128-bit sum, a date, a nanosecond timestamp, NULLs in each
    sql = (
        "SELECT a, n, n, SUM(n) OVER (ORDER BY a) AS running, ts, CAST(ts AS DATE) AS day, "
        "CAST(ts AS TIMESTAMP_NS) AS ts_ns FROM t ORDER BY a"
    )
    assert duckdb_rows(db.execute(sql)) == db.execute(sql).fetchall()
    assert duckdb_rows(db.execute("SELECT a FROM t WHERE false")) == []
