"""The workspace's usage events in DuckDB: validated once, then aggregated by the usage SQL."""

from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from connectors.errors import DataError, DataIssue
from connectors.text_files import decode
from skills.snapshot import EARLIEST_DAY, LATEST_DAY
from skills.usage.sql import Row, to_dollar_binds

USAGE_COLUMNS = ("ts", "account_id", "user_id", "department", "region", "event", "feature", "device_id")
REQUIRED = ("ts", "account_id", "user_id", "event")
MAX_ISSUES = 50
THREADS = 2
PARQUET_MEMORY, CSV_MEMORY = "1GB", "1300MB"
"""DuckDB's memory for a Parquet file, which every query scans in place, and for CSV, which is
typed into a table first: a 10M-event CSV's table takes ~930 MiB, and at 1 GB its aggregates spilled
and evicted it (10,000 accounts: 16.6-18.5 CPU-s and 1,186 MiB at 1 GB, 16.0-16.7 CPU-s and
1,278 MiB at 1.3 GB). Parquet keeps 1 GB: at 100,000 accounts the Python book beside it is ~1.5 GiB."""
RANGE_PARTITIONS = "partitioned_execution"
"""DuckDB 2's optimizer that splits a GROUP BY on a column with min/max statistics (account_id) into
one aggregate per range of values, each scanning the Parquet file again: five scans at 100,000
accounts. Without it the book's usage statements took 13.6 instead of 16.7 CPU-s (feature-gate hits
2.2 -> 0.4, activity 6.9 -> 4.8; organic spread 2.0 -> 2.7, before its statement counted new
departments only), the same rows. Versions before 2 lack it."""
MAX_HEADER_BYTES = 64 * 1024
MAX_LINE_BYTES = 1_000_000
OFFSET_AWARE_UTC = "CAST(TRY_CAST(ts AS TIMESTAMPTZ) AS TIMESTAMP)"
TEXT_TIMESTAMP_UTC = (
    "CASE WHEN length(ts) = 19 AND ts[14] = ':' AND ts[17] = ':' THEN TRY_CAST(ts AS TIMESTAMP) "
    f"ELSE {OFFSET_AWARE_UTC} END"
)
"""The one timestamp convention in SQL: with the session in UTC, an offset is converted to UTC and a
timestamp without one is taken as UTC. A Parquet TIMESTAMP column is UTC already and read as is.
Text of the exact form `YYYY-MM-DD HH:MM:SS` has no room for an offset and is read as a plain
timestamp (the same instant, a third of the parsing time of a 10M-row CSV); any other form takes the
offset-aware cast, which is the only way an offset is honoured (a plain cast drops it silently)."""
REJECTS = {
    "MISSING COLUMNS": "has fewer cells than the header; check for a missing comma",
    "TOO MANY COLUMNS": "has more cells than the header; check for an extra comma or an unquoted value",
    "INVALID ENCODING": "not UTF-8 text; save the file as UTF-8",
    "LINE SIZE OVER MAXIMUM": f"line longer than {MAX_LINE_BYTES:,} bytes",
    "UNQUOTED VALUE": "a quote inside an unquoted cell; quote the cell and double its quotes",
}


def duckdb_rows(result: duckdb.DuckDBPyConnection) -> list[Row]:
    """A result's rows read column by column through numpy: `fetchall` builds each value while
    holding the interpreter lock, which stalls the thread loading the small tables beside it (the
    100,000-account activity rows: 0.57 s, against 0.14 s this way). Counts come back as Python
    ints, or floats for DuckDB's 128-bit sums, NULL as None, dates as dates, timestamps as datetimes
    to the microsecond (as `fetchall` gives them; one with a time zone comes back naive, in UTC)."""
    kinds = [str(column[1]) for column in result.description or ()]
    columns = result.fetchnumpy().values()
    return list(zip(*map(_python_values, columns, kinds), strict=True))


def _python_values(column: Any, kind: str) -> list[Any]:
    if kind == "DATE":
        return list(column.astype("datetime64[D]").tolist())
    if column.dtype.kind == "M":  # a nanosecond timestamp would come back as an int
        return list(column.astype("datetime64[us]").tolist())
    return list(column.tolist())


def _reject_message(kind: str, message: str) -> str:
    return REJECTS.get(kind, f"not readable as CSV: {_first_line(message)}")


def _first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"  # DDL cannot take bound parameters


def _csv_header(path: Path) -> list[str]:
    """The header of a usage CSV, read like every other workspace CSV (UTF-8, BOM accepted)."""
    with path.open("rb") as handle:
        first = handle.readline(MAX_HEADER_BYTES)
    names = next(csv.reader(io.StringIO(decode(first, path.name))), [])
    return [n.strip() for n in names]


def spill_folder() -> Path:
    """Where one connection spills what does not fit in its memory: a folder DuckDB makes only when it
    spills and removes when the connection closes (or is collected), inside `<temporary directory>/
    expansion-desk-<uid>`, which only this user can open (made 0700, then kept). DuckDB's own default
    is `.tmp` in whatever folder the command runs from. A parent another user owns, or others can
    open, is not used: a private folder of its own instead."""
    parent = Path(tempfile.gettempdir()) / f"expansion-desk-{os.getuid()}"
    with suppress(FileExistsError):
        parent.mkdir(mode=0o700)
    found = parent.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid() or found.st_mode & 0o077:
        parent = Path(tempfile.mkdtemp(prefix="expansion-desk-"))
    return parent / uuid.uuid4().hex


class UsageEvents:
    """A DuckDB connection holding the typed `usage_events` table of one workspace file.

    CSV is read with explicit settings (comma, double-quote quoting and escaping, UTF-8, every
    column text) rather than DuckDB's sniffer, so a quoted value is unquoted on line 3 and on line
    300,000 alike. Timestamps follow the one convention: an offset is converted to UTC, a timestamp
    without one is read as UTC.
    """

    def __init__(
        self,
        path: Path,
        known_accounts: set[str] | None,
        memory_limit: str | None = None,
        *,
        check: bool = True,
    ) -> None:
        """Reads and checks `path`; a bad cell, or an event of an account not in `known_accounts` (None
        or empty: not checked), raises DataError naming each line. `check=False` leaves both to a later
        `check_accounts`, so the file is read, and the book aggregated, while accounts.csv loads."""
        self.path = path
        # no progress bar: DuckDB draws it on stdout, which carries --json output
        self.db = duckdb.connect(
            config={
                "memory_limit": memory_limit or (PARQUET_MEMORY if path.suffix == ".parquet" else CSV_MEMORY),
                "threads": THREADS,
                "temp_directory": str(spill_folder()),
            }
        )
        self._lock = threading.Lock()
        with self._closed_on_error():
            self._load()
        if check:
            self.check_accounts(known_accounts)

    @contextmanager
    def _closed_on_error(self) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            self.close()
            raise DataError([DataIssue(file=self.path.name, message=f"cannot be read: {_first_line(exc)}")]) from None
        except DataError:
            self.close()
            raise

    @property
    def cells_ok(self) -> bool:
        """Every cell holds a value of its column (the accounts not yet compared with accounts.csv)."""
        return not self._bad_cells

    def check_accounts(self, known_accounts: set[str] | None) -> None:
        """DataError naming every bad cell and every event of an account not in `known_accounts` (None
        or empty: accounts are not compared; accounts.csv's own problems say why), line by line."""
        with self._closed_on_error():
            if self._bad_cells or (known_accounts and not self._account_ids <= known_accounts):
                self._raise_bad_values(known_accounts)

    def _load(self) -> None:
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute("SET enable_progress_bar = false")
        known = {row[0] for row in self.db.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
        if RANGE_PARTITIONS in known:
            self.db.execute(f"SET disabled_optimizers = '{RANGE_PARTITIONS}'")
        reader = f"read_parquet({_sql_text(str(self.path))})" if self.path.suffix == ".parquet" else self._csv_reader()
        self.db.execute(f"CREATE TEMP VIEW raw_events AS SELECT * FROM {reader}")
        self._check_columns()
        typed = ", ".join(
            f"{self.ts_utc} AS ts" if c == "ts" else f"CAST({c} AS VARCHAR) AS {c}" for c in USAGE_COLUMNS
        )
        if self.path.suffix == ".parquet":  # columnar: every query scans the file directly
            self._bad_cells = self._any_bad_cell("raw_events", self.ts_utc)
            self.db.execute(f"CREATE TEMP VIEW usage_events AS SELECT {typed} FROM raw_events")
            self._account_ids = self._distinct_accounts()
            return
        # CSV is parsed once, straight into the typed table; its rejected lines (ragged, bad bytes,
        # oversize) are read first. Lines are numbered only when a value is bad, by reading the file
        # again (`_raise_bad_values`), so the table keeps no order: the events are only ever
        # aggregated, and an unordered load is cheaper (10M events: 5.3 instead of 6.4 CPU-s).
        self.db.execute("SET preserve_insertion_order = false")
        self.db.execute(f"CREATE TEMP TABLE usage_events AS SELECT {typed} FROM raw_events")
        self.db.execute("SET preserve_insertion_order = true")
        self._check_rejects()
        self._bad_cells = self._any_bad_cell("usage_events", "ts")
        self._account_ids = self._distinct_accounts()

    def _csv_reader(self) -> str:
        header = _csv_header(self.path)
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        if dupes:
            raise DataError(
                [DataIssue(file=self.path.name, line=1, column=d, message="appears twice in the header; keep one")
                 for d in dupes]
            )  # fmt: skip
        missing = [c for c in USAGE_COLUMNS if c not in header]
        if missing:
            raise DataError(
                [DataIssue(file=self.path.name, line=1, message=f"missing required column(s): {', '.join(missing)}")]
            )
        columns = "{" + ", ".join(f"{_sql_text(h or f'column{n}')}: 'VARCHAR'" for n, h in enumerate(header)) + "}"
        return (
            f"read_csv({_sql_text(str(self.path))}, header = true, auto_detect = false, columns = {columns}, "
            "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', strict_mode = true, "
            f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, filename = false)"
        )

    def _check_rejects(self) -> None:
        """Lines DuckDB could not parse: too few or many cells, bad bytes, a line over the size cap."""
        total = self.db.execute("SELECT COUNT(DISTINCT line) FROM reject_errors").fetchone()
        if not total or not total[0]:
            return
        rows = self.db.execute(
            "SELECT line, min(error_type), min(error_message) FROM reject_errors GROUP BY line ORDER BY line "
            f"LIMIT {MAX_ISSUES}"
        ).fetchall()
        raise DataError(
            [
                DataIssue(file=self.path.name, line=int(line), message=_reject_message(kind, msg))
                for line, kind, msg in rows
            ],
            int(total[0]),
        )

    def _check_columns(self) -> None:
        described = self.db.execute("DESCRIBE raw_events").fetchall()
        present = [row[0] for row in described]
        kind = next((str(row[1]).upper() for row in described if row[0] == "ts"), "VARCHAR")
        self.ts_utc = (
            "ts"
            if kind == "TIMESTAMP"
            else "CAST(ts AS TIMESTAMP)"
            if kind.startswith("TIMESTAMP")
            else TEXT_TIMESTAMP_UTC
        )
        missing = [c for c in USAGE_COLUMNS if c not in present]
        if missing:
            raise DataError(
                [DataIssue(file=self.path.name, line=1, message=f"missing required column(s): {', '.join(missing)}")]
            )

    @staticmethod
    def _cell_checks(ts: str) -> list[tuple[str, str, str]]:
        """(column, condition of a bad cell, message), with `ts` the timestamp as SQL reads it."""
        return [
            ("ts", f"{ts} IS NULL", "not an ISO 8601 timestamp"),
            (
                "ts",
                f"{ts} NOT BETWEEN TIMESTAMP '{EARLIEST_DAY}' AND TIMESTAMP '{LATEST_DAY} 23:59:59'",
                f"out of range: must be between {EARLIEST_DAY} and {LATEST_DAY}",
            ),
            *((c, f"{c} IS NULL OR CAST({c} AS VARCHAR) = ''", "is empty") for c in REQUIRED[1:]),
        ]

    def _any_bad_cell(self, relation: str, ts: str) -> bool:
        """Whether any cell of `relation` is bad: one cheap scan."""
        cheap = " OR ".join(f"({cond})" for _, cond, _ in self._cell_checks(ts))
        total = self.db.execute(f"SELECT COUNT(*) FROM {relation} WHERE {cheap}").fetchone()
        return bool(total and total[0])

    def _distinct_accounts(self) -> set[str]:
        """The accounts the events name, read with the cells (before a book's aggregate, whose memory
        DuckDB then gives back), for `check_accounts`; none when a cell is bad (the file is refused)."""
        if self._bad_cells:
            return set()
        return {row[0] for row in self.db.execute("SELECT DISTINCT account_id FROM usage_events").fetchall()}

    def _raise_bad_values(self, known: set[str] | None) -> None:
        """Every bad cell with its line (header is line 1 in CSV; parquet rows count from 1)."""
        offset = 0 if self.path.suffix == ".parquet" else 1
        if offset:  # the CSV's typed table gives way to its rows numbered, read again
            self.db.execute("DROP TABLE usage_events")
        kind = "TABLE" if offset else "VIEW"
        self.db.execute(
            f"CREATE TEMP {kind} numbered_events AS SELECT row_number() OVER () AS row_no, * FROM raw_events"
        )
        checks = self._cell_checks(self.ts_utc)
        if known:  # with no account read, accounts.csv's own problems say why
            self.db.execute(
                "CREATE TEMP TABLE known_accounts AS SELECT unnest($ids) AS account_id", {"ids": sorted(known)}
            )
            unknown = "CAST(account_id AS VARCHAR) NOT IN (SELECT account_id FROM known_accounts)"
            checks.append(("account_id", unknown, "account not in accounts.csv"))
        union = " UNION ALL ".join(
            f"SELECT row_no, '{col}' AS col, CAST({col} AS VARCHAR) AS val, '{msg}' AS msg "
            f"FROM numbered_events WHERE {cond}"
            for col, cond, msg in checks
        )
        count = self.db.execute(f"SELECT COUNT(*) FROM ({union})").fetchone()
        rows = self.db.execute(f"SELECT * FROM ({union}) ORDER BY row_no, col LIMIT {MAX_ISSUES}").fetchall()
        raise DataError(
            [DataIssue(file=self.path.name, line=int(n) + offset, column=c, value=v, message=m) for n, c, v, m in rows],
            int(count[0]) if count else len(rows),
        )

    def run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        """One query at a time: the connection holds the TEMP events table, so cursors (which are
        separate connections) cannot see it, and a shared connection refuses concurrent calls."""
        with self._lock:
            return duckdb_rows(self.db.execute(to_dollar_binds(sql), dict(binds)))

    def run_and_release(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        """`run`, then what the statement allocated given back: DuckDB's worker threads keep it (up to
        1 GB after a 100,000-account book's credential-sharing statement) until they are restarted (~10 ms)."""
        with self._lock:
            rows = duckdb_rows(self.db.execute(to_dollar_binds(sql), dict(binds)))
            self.db.execute("SET threads = 1")
            self.db.execute(f"SET threads = {THREADS}")
            return rows

    def close(self) -> None:
        self.db.close()
