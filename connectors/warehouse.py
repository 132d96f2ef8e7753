"""Usage from a SQL warehouse: the same aggregation SQL as the workspace, run where the events live.

The configured table is wrapped in a relation that renames its columns to the SPEC usage columns,
so `aggregate_usage` never learns the table's own names. The URL comes from an environment variable
(it may hold a password) and never appears in a message. `duckdb:///file.duckdb` opens a DuckDB file
with the duckdb module itself; any other URL goes to SQLAlchemy, which needs only the dialect's driver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import duckdb
import sqlalchemy
from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

from connectors.config import WarehouseConfig, env_secret
from connectors.errors import SourceError
from connectors.usage_events import USAGE_COLUMNS, duckdb_rows
from skills.rules import UsageRules
from skills.snapshot import UsageFacts
from skills.usage.aggregate import aggregate_usage
from skills.usage.sql import Row, Scope, to_dollar_binds

DUCKDB_PREFIX = "duckdb:///"


class _Engine(Protocol):
    def run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]: ...

    def close(self) -> None: ...


class _SqlAlchemyEngine:
    def __init__(self, url: str) -> None:
        self.engine = sqlalchemy.create_engine(url, pool_pre_ping=True)

    def run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sqlalchemy.text(sql), dict(binds))]

    def close(self) -> None:
        self.engine.dispose()


class _DuckDbFile:
    def __init__(self, path: str) -> None:
        self.db = duckdb.connect(path, read_only=True)
        self.db.execute("SET enable_progress_bar = false")  # DuckDB draws it on stdout

    def run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        with self.db.cursor() as cursor:  # one cursor per call: a DuckDB connection is not shared across threads
            return duckdb_rows(cursor.execute(to_dollar_binds(sql), dict(binds)))

    def close(self) -> None:
        self.db.close()


def usage_relation(config: WarehouseConfig) -> str:
    """The table as a derived table with the SPEC column names (identifiers validated by the config)."""
    columns = ", ".join(f"{config.columns[c]} AS {c}" for c in USAGE_COLUMNS)
    return f"(SELECT {columns} FROM {config.table}) AS usage_events"


class Warehouse:
    name = "warehouse"

    def __init__(self, config: WarehouseConfig, rules: UsageRules, *, environ: Mapping[str, str] = os.environ) -> None:
        self.config = config
        self.rules = rules
        self.relation = usage_relation(config)
        url = env_secret(config.url_env, self.name, environ).get_secret_value()
        try:
            self._engine: _Engine = (
                _DuckDbFile(url.removeprefix(DUCKDB_PREFIX))
                if url.startswith(DUCKDB_PREFIX)
                else _SqlAlchemyEngine(url)
            )
        except NoSuchModuleError as exc:
            raise SourceError(self.name, f"{exc}: install that dialect's SQLAlchemy driver") from None
        except ImportError as exc:
            raise SourceError(self.name, f"the database driver {exc.name} is not installed") from None
        except duckdb.Error as exc:
            raise SourceError(self.name, f"cannot open the DuckDB file in {config.url_env}: {exc}") from None
        except SQLAlchemyError as exc:  # its message may quote the URL, password included
            raise SourceError(
                self.name, f"{config.url_env} is not a valid SQLAlchemy URL ({type(exc).__name__})"
            ) from None

    def usage(self, account_id: str | None, as_of: date) -> dict[str, UsageFacts]:
        """Usage facts of one account (or of every account with events, when `account_id` is None)."""
        scope = Scope(self.relation, account_id)
        return aggregate_usage(self._run, scope, as_of, self.rules, bit_or=isinstance(self._engine, _DuckDbFile))

    def check(self) -> str:
        self._run(f"SELECT * FROM {self.relation} WHERE 1 = 0", {})
        return f"{self.config.table} readable with the mapped columns"

    def close(self) -> None:
        self._engine.close()

    def _run(self, sql: str, binds: Mapping[str, Any]) -> Sequence[Row]:
        try:
            return self._engine.run(sql, binds)
        except (SQLAlchemyError, duckdb.Error) as exc:
            # The driver's own first line (e.g. "relation ... does not exist"); never the URL.
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            raise SourceError(self.name, f"query on {self.config.table} failed: {detail}") from None
