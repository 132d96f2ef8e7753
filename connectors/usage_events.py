"""The workspace's usage events in DuckDB: validated once, then aggregated by the usage SQL."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from connectors.errors import DataError, DataIssue
from skills.usage.sql import Row, to_dollar_binds

USAGE_COLUMNS = ("ts", "account_id", "user_id", "department", "region", "event", "feature", "device_id")
REQUIRED = ("ts", "account_id", "user_id", "event")
MAX_ISSUES = 50


class UsageEvents:
    """A DuckDB connection holding the typed `usage_events` table of one workspace file."""

    def __init__(self, path: Path, known_accounts: set[str], memory_limit: str = "1GB") -> None:
        self.path = path
        self.db = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
        self._lock = threading.Lock()
        literal = "'" + str(path).replace("'", "''") + "'"  # DDL cannot take bound parameters
        reader = (
            f"read_parquet({literal})"
            if path.suffix == ".parquet"
            else f"read_csv({literal}, all_varchar=true, header=true)"
        )
        self.db.execute(f"CREATE TEMP VIEW raw_events AS SELECT * FROM {reader}")
        self.db.execute("CREATE TEMP VIEW numbered_events AS SELECT row_number() OVER () AS row_no, * FROM raw_events")
        self._check_columns()
        self.known = known_accounts
        self.db.execute(
            "CREATE TEMP TABLE known_accounts AS SELECT unnest($ids) AS account_id", {"ids": sorted(known_accounts)}
        )
        typed = ", ".join(
            "TRY_CAST(ts AS TIMESTAMP) AS ts" if c == "ts" else f"CAST({c} AS VARCHAR) AS {c}" for c in USAGE_COLUMNS
        )
        # Parquet is columnar: every query scans the file directly. CSV is parsed once into a table,
        # and the checks read that table: the file is parsed again only to locate bad lines.
        kind = "VIEW" if path.suffix == ".parquet" else "TABLE"
        try:
            self.db.execute(f"CREATE TEMP {kind} usage_events AS SELECT {typed} FROM raw_events")
        except duckdb.Error:  # the CSV reader may apply the cast itself and stop at a bad cell
            self._locate_bad_values()
            raise
        self._check_values()

    def _check_columns(self) -> None:
        present = {row[0] for row in self.db.execute("DESCRIBE raw_events").fetchall()}
        missing = [c for c in USAGE_COLUMNS if c not in present]
        if missing:
            raise DataError(
                [DataIssue(file=self.path.name, line=1, message=f"missing required column(s): {', '.join(missing)}")]
            )

    def _check_values(self) -> None:
        """Every bad cell with its line (header is line 1 in CSV; parquet rows count from 1)."""
        # the same conditions on the typed relation: TRY_CAST gave NULL for a bad ts
        cheap = " OR ".join(["ts IS NULL", *(f"{c} IS NULL OR {c} = ''" for c in REQUIRED[1:])])
        ids = {row[0] for row in self.db.execute("SELECT DISTINCT account_id FROM usage_events").fetchall()}
        total = self.db.execute(f"SELECT COUNT(*) FROM usage_events WHERE {cheap}").fetchone()
        if (total and total[0]) or ids - self.known:
            self._locate_bad_values()

    def _locate_bad_values(self) -> None:
        """Raises DataError naming every bad cell's line and column, read from the file itself (returns
        when it finds none)."""
        offset = 0 if self.path.suffix == ".parquet" else 1
        checks = [
            ("ts", "TRY_CAST(ts AS TIMESTAMP) IS NULL", "not an ISO 8601 timestamp"),
            *((c, f"{c} IS NULL OR CAST({c} AS VARCHAR) = ''", "is empty") for c in REQUIRED[1:]),
            (
                "account_id",
                "CAST(account_id AS VARCHAR) NOT IN (SELECT account_id FROM known_accounts)",
                "account not in accounts.csv",
            ),
        ]
        union = " UNION ALL ".join(
            f"SELECT row_no, '{col}' AS col, CAST({col} AS VARCHAR) AS val, '{msg}' AS msg "
            f"FROM numbered_events WHERE {cond}"
            for col, cond, msg in checks
        )
        count = self.db.execute(f"SELECT COUNT(*) FROM ({union})").fetchone()
        rows = self.db.execute(f"SELECT * FROM ({union}) ORDER BY row_no, col LIMIT {MAX_ISSUES}").fetchall()
        if not rows:
            return
        raise DataError(
            [DataIssue(file=self.path.name, line=int(n) + offset, column=c, value=v, message=m) for n, c, v, m in rows],
            int(count[0]) if count else len(rows),
        )

    def run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        """One query at a time: the connection holds the TEMP events table, so cursors (which are
        separate connections) cannot see it, and a shared connection refuses concurrent calls."""
        with self._lock:
            return self.db.execute(to_dollar_binds(sql), dict(binds)).fetchall()

    def close(self) -> None:
        self.db.close()
