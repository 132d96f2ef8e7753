"""Running the usage SQL on any engine: named `:param` binds and an `{events}` relation."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

Row = tuple[Any, ...]
Executor = Callable[[str, Mapping[str, Any]], Sequence[Row]]
"""Runs one SQL statement with `:name` binds and returns its rows."""

_BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def to_dollar_binds(sql: str) -> str:
    """DuckDB spells named parameters `$name`; the portable text uses `:name`."""
    return _BIND.sub(r"$\1", sql)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


@dataclass(frozen=True)
class Scope:
    """Which events a query reads: the relation, and optionally one account."""

    relation: str
    account_id: str | None = None

    def render(self, template: str) -> str:
        account_filter = "AND account_id = :account_id" if self.account_id is not None else ""
        return template.format(events=self.relation, account_filter=account_filter)

    def binds(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The binds `sql` names (some engines reject extras), plus the account when scoped."""
        available = {**params, "account_id": self.account_id}
        return {name: available[name] for name in set(_BIND.findall(sql))}


def day_bounds(as_of: date, days: int) -> tuple[datetime, datetime]:
    """[start, end) timestamps of the last `days` days ending on `as_of` (SPEC §3 day rule)."""
    end = start_of(as_of + timedelta(days=1))
    return end - timedelta(days=days), end


def rows_in_turn(
    run: Executor, statements: Sequence[tuple[str, Mapping[str, Any]]]
) -> Generator[Sequence[Row], None, None]:
    """Each statement's rows, in order, run one at a time on a thread of their own: the engine runs
    the next statement while the caller turns the last one's rows into facts, instead of waiting for
    it (100,000 accounts: ~1 s of Python between the statements, the engine idle)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="usage-sql") as engine:
        pending = [engine.submit(run, sql, binds) for sql, binds in statements]
        try:
            for statement in pending:
                yield statement.result()
        finally:
            for statement in pending:
                statement.cancel()
