"""The warehouse path runs the workspace's usage SQL where the events live and must agree with DuckDB exactly.

Both backends load the same generated events (sharing on 3 vs 2 days, a new department, gate hits
inside and outside 90 days, a second region, the 30-day boundary, a future event) into a table whose
columns have their own names, and are compared with the workspace path (UsageEvents over a CSV).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy

from connectors.config import WarehouseConfig
from connectors.errors import SourceError
from connectors.usage_events import USAGE_COLUMNS, UsageEvents
from connectors.warehouse import Warehouse
from skills.rules import UsageRules
from skills.snapshot import DepartmentSpread, RegionUsage, SharingUser, UsageFacts
from skills.usage.aggregate import aggregate_usage
from skills.usage.sql import Scope
from tests.factory import AS_OF, ago, event, write_csv

RULES = UsageRules()
COLUMNS = {"ts": "event_time", "account_id": "org_id"}  # the rest keep the SPEC names
TABLE_COLUMNS = [COLUMNS.get(c, c) for c in USAGE_COLUMNS]


def generated_events() -> list[dict[str, Any]]:
    rows = []
    for day in (2, 5, 9):  # u1 shares a login on 3 days: two devices 3 minutes apart
        rows += [event(day, "u1", device="d1"), event(day, "u1", minute=3, device="d2")]
    for day in (3, 4):  # u2 on only 2 days
        rows += [event(day, "u2", device="d1"), event(day, "u2", minute=4, device="d2")]
    for user in ("u3", "u4", "u5", "u6"):
        rows += [event(200, user), *(event(d, user, hour=9 + d % 5) for d in range(1, 11))]
    rows += [event(3, "u3", name="workflow_completed", minute=m) for m in (10, 20, 30, 40)]
    rows += [event(20, "u7", department="Marketing", region="EMEA"), event(25, "u8", department="Marketing")]
    rows += [event(d, "u4", name="feature_gate_hit", feature="sso", minute=50) for d in (10, 40, 80, 95)]
    rows += [event(15, "u5", name="feature_gate_hit", feature="audit log", minute=55)]
    rows += [event(30, "u9"), event(29, "u10"), event(-1, "u11", department="Future")]
    rows += [event(40, "b1", account_id="ACC-2", department="Finance")]
    for day in (6, 7, 8):  # exactly 5 minutes apart counts; 6 minutes apart does not
        rows += [event(day, "c1", "ACC-3", device="p"), event(day, "c1", "ACC-3", minute=5, device="q"),
                 event(day, "c2", "ACC-3", device="p"), event(day, "c2", "ACC-3", minute=6, device="q")]  # fmt: skip
    return rows


def workspace_facts(tmp_path: Path, rows: list[dict[str, Any]]) -> dict[str, UsageFacts]:
    write_csv(tmp_path / "usage_events.csv", list(USAGE_COLUMNS), rows)
    events = UsageEvents(tmp_path / "usage_events.csv", {"ACC-1", "ACC-2", "ACC-3"})
    try:
        return aggregate_usage(events.run, Scope("usage_events"), AS_OF, RULES)
    finally:
        events.close()


def ddl(text_type: str) -> str:
    return ", ".join(f"{c} {'TIMESTAMP' if c == 'event_time' else text_type}" for c in TABLE_COLUMNS)


def table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{COLUMNS.get(c, c): (row[c] or None) for c in USAGE_COLUMNS} for row in rows]


def postgres_url() -> str:
    """The test server (trust auth) as postgres, else as root; skipped when down unless CI demands it."""
    problems = []
    for user in ("postgres", "root"):
        url = f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                return url
        except sqlalchemy.exc.OperationalError as exc:
            problems.append(f"{user}: {str(exc.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    reason = "PostgreSQL at 127.0.0.1:5432/test is unreachable (" + "; ".join(problems) + ")"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def postgres_table() -> Iterator[tuple[str, str]]:
    """A uniquely named events table loaded with the generated rows; dropped afterwards."""
    url = postgres_url()
    table = f"public.usage_events_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(url)
    insert = f"INSERT INTO {table} VALUES ({', '.join(':' + c for c in TABLE_COLUMNS)})"
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"CREATE TABLE {table} ({ddl('TEXT')})"))
            conn.execute(sqlalchemy.text(insert), table_rows(generated_events()))
        yield url, table
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


@pytest.fixture
def duckdb_table(tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "warehouse.duckdb"
    db = duckdb.connect(str(path))
    db.execute("CREATE SCHEMA analytics")
    db.execute(f"CREATE TABLE analytics.events ({ddl('VARCHAR')})")
    db.executemany(f"INSERT INTO analytics.events VALUES ({', '.join('?' * len(TABLE_COLUMNS))})",
                   [list(r.values()) for r in table_rows(generated_events())])  # fmt: skip
    db.close()
    return f"duckdb:///{path}", "analytics.events"


def assert_same_facts_as_workspace(url: str, table: str, tmp_path: Path) -> None:
    expected = workspace_facts(tmp_path, generated_events())
    acc1 = expected["ACC-1"]  # the generated data exercises every rule
    assert (acc1.active_users_30d, acc1.active_users_90d, acc1.workflow_completions_90d) == (9, 10, 4)
    assert acc1.sharing_users == (SharingUser(user_id="u1", days=3), SharingUser(user_id="u2", days=2))
    assert acc1.new_departments == (DepartmentSpread(department="Marketing", first_seen=ago(25), users=2),)
    assert acc1.gate_hits_90d == {"audit log": 1, "sso": 3}
    assert acc1.regions_90d == (RegionUsage(region="EMEA", users_90d=1), RegionUsage(region="NA", users_90d=9))
    assert (expected["ACC-2"].active_users_30d, expected["ACC-2"].active_users_90d) == (0, 1)
    assert expected["ACC-3"].sharing_users == (SharingUser(user_id="c1", days=3),)

    warehouse = Warehouse(WarehouseConfig(table=table, columns=COLUMNS), RULES,
                          environ={"EXPANSION_DESK_WAREHOUSE_URL": url})  # fmt: skip
    try:
        assert warehouse.check() == f"{table} readable with the mapped columns"
        assert warehouse.usage(None, AS_OF) == expected
        assert warehouse.usage("ACC-1", AS_OF) == {"ACC-1": acc1}
        assert warehouse.usage("ACC-404", AS_OF) == {}
    finally:
        warehouse.close()


def test_duckdb_file_matches_the_workspace_path(duckdb_table: tuple[str, str], tmp_path: Path) -> None:
    assert_same_facts_as_workspace(*duckdb_table, tmp_path)


@pytest.mark.postgres
def test_postgresql_matches_the_workspace_path(postgres_table: tuple[str, str], tmp_path: Path) -> None:
    assert_same_facts_as_workspace(*postgres_table, tmp_path)


@pytest.mark.postgres
def test_postgresql_errors_name_the_table_but_never_the_password() -> None:
    url = postgres_url().replace("@127.0.0.1", ":s3cret-pw@127.0.0.1")
    warehouse = Warehouse(
        WarehouseConfig(table="public.no_such_events"), RULES, environ={"EXPANSION_DESK_WAREHOUSE_URL": url}
    )
    try:
        with pytest.raises(
            SourceError, match=re.escape('query on public.no_such_events failed: relation "public.no_such_events"')
        ) as caught:
            warehouse.check()
        assert "s3cret-pw" not in str(caught.value)
    finally:
        warehouse.close()


def test_missing_url_variable_is_named() -> None:
    with pytest.raises(SourceError, match="environment variable EXPANSION_DESK_WAREHOUSE_URL is not set"):
        Warehouse(WarehouseConfig(table="events"), RULES, environ={})


def test_url_without_driver_says_what_to_install() -> None:
    with pytest.raises(SourceError, match="install that dialect's SQLAlchemy driver"):
        Warehouse(
            WarehouseConfig(table="events"), RULES, environ={"EXPANSION_DESK_WAREHOUSE_URL": "snowflake://u:p@acct/db"}
        )


def test_unparseable_url_is_reported_without_echoing_it() -> None:
    with pytest.raises(SourceError, match="EXPANSION_DESK_WAREHOUSE_URL is not a valid SQLAlchemy URL") as caught:
        Warehouse(WarehouseConfig(table="events"), RULES, environ={"EXPANSION_DESK_WAREHOUSE_URL": "not a url:pw"})
    assert "pw" not in str(caught.value).replace("URL", "")


@pytest.mark.parametrize("config", [{"table": "events; DROP TABLE x"}, {"table": "events", "columns": {"ts": "ts)--"}},
                                    {"table": "events", "columns": {"when": "ts"}}])  # fmt: skip
def test_identifiers_are_validated(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WarehouseConfig.model_validate(config)
