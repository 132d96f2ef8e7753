"""The workspace source: usage SQL in DuckDB at its day and window boundaries, and every bad-input path."""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.errors import DataError, UnknownAccountError
from connectors.usage_events import UsageEvents, spill_folder
from connectors.workspace import Reading, Workspace, demo_workspace_path
from skills.rules import Rules
from skills.snapshot import Source
from tests.factory import AS_OF, account, ago, champion, event, interaction, ticket, write_workspace

RULES = Rules()


def load(tmp_path: Path, events: list[dict], **kwargs) -> Workspace:  # type: ignore[type-arg, no-untyped-def]
    return Workspace(
        write_workspace(tmp_path / "ws", [account(), account(account_id="ACC-2", name="Beta Corp")], events, **kwargs),
        RULES,
    )


def usage_of(ws: Workspace, account_id: str = "ACC-1"):  # type: ignore[no-untyped-def]
    snap = ws.snapshot(account_id, AS_OF)
    assert snap.usage is not None
    return snap.usage


def test_active_users_day_rule(tmp_path: Path) -> None:
    events = [event(0, "today"), event(29, "edge_in"), event(30, "edge_out"), event(-1, "future")]
    u = usage_of(load(tmp_path, events))
    assert u.active_users_30d == 2 and u.active_users_90d == 3


def sharing_day(days: int, user: str, gap_minutes: int) -> list[dict]:  # type: ignore[type-arg]
    return [event(days, user, minute=0, device="laptop"), event(days, user, minute=gap_minutes, device="phone")]


def test_credential_sharing_needs_three_days_within_five_minutes(tmp_path: Path) -> None:
    events = [
        *sharing_day(1, "three_days", 4),
        *sharing_day(2, "three_days", 5),
        *sharing_day(29, "three_days", 1),
        *sharing_day(1, "two_days", 2),
        *sharing_day(2, "two_days", 2),
        *sharing_day(1, "too_slow", 6),
        *sharing_day(2, "too_slow", 6),
        *sharing_day(3, "too_slow", 6),
        *sharing_day(1, "old", 1),
        *sharing_day(2, "old", 1),
        *sharing_day(30, "old", 1),
    ]
    ws = load(tmp_path, events)
    snap = ws.snapshot("ACC-1", AS_OF)
    days = {u.user_id: u.days for u in usage_of(ws).sharing_users}
    assert days == {"three_days": 3, "two_days": 2, "old": 2}
    from skills.usage.summary import summarise_usage

    summary = summarise_usage(snap, RULES)
    assert summary is not None and [u.user_id for u in summary.sharing_users] == ["three_days"]


def test_same_device_is_not_sharing(tmp_path: Path) -> None:
    events = [
        e for d in (1, 2, 3) for e in (event(d, "solo", device="laptop"), event(d, "solo", minute=1, device="laptop"))
    ]
    assert usage_of(load(tmp_path, events)).sharing_users == ()


def test_organic_spread_first_event_in_last_90_days(tmp_path: Path) -> None:
    events = [
        event(200, "ops1"),
        event(89, "mk1", department="Marketing"),
        event(3, "mk2", department="Marketing"),
        event(1, "mk1", department="Marketing"),  # a user counted once however often seen
        event(90, "fin1", department="Finance"),
        event(2, "fin2", department="Finance"),
    ]
    spread = usage_of(load(tmp_path, events)).new_departments
    assert [(d.department, d.users, d.first_seen) for d in spread] == [("Marketing", 2, ago(89))]


def test_gate_hits_regions_workflows_and_capacity_history(tmp_path: Path) -> None:
    events = [
        event(1, "a", name="feature_gate_hit", feature="sso"),
        event(89, "a", name="feature_gate_hit", feature="sso"),
        event(90, "a", name="feature_gate_hit", feature="sso"),
        event(5, "b", name="workflow_completed"),
        event(6, "c", region="EMEA"),
        event(40, "d"),
    ]
    u = usage_of(load(tmp_path, events))
    assert u.gate_hits_90d == {"sso": 2}
    assert u.workflow_completions_90d == 1
    assert {(r.region, r.users_90d) for r in u.regions_90d} == {("NA", 3), ("EMEA", 1)}
    assert u.capacity_history[0].day == AS_OF and u.capacity_history[0].active_users_30d == 3
    assert u.capacity_history[2].day == ago(14) and u.capacity_history[2].active_users_30d == 1  # days 14..43: only d


def test_book_aggregation_equals_single_account(tmp_path: Path) -> None:
    events = [
        *sharing_day(1, "x", 2),
        event(3, "y", account_id="ACC-2"),
        event(4, "z", account_id="ACC-2", department="Sales"),
    ]
    ws = load(tmp_path, events)
    book = {s.account_id: s.usage for s in ws.snapshots(AS_OF)}
    assert book["ACC-1"] == usage_of(ws, "ACC-1") and book["ACC-2"] == usage_of(ws, "ACC-2")


def test_account_without_events_has_zero_usage_not_missing(tmp_path: Path) -> None:
    ws = load(tmp_path, [event(1, "a")])
    snap = ws.snapshot("ACC-2", AS_OF)
    assert snap.usage is not None and snap.usage.active_users_30d == 0 and not snap.lacks(Source.usage)


def test_missing_files_become_missing_evidence(tmp_path: Path) -> None:
    ws = load(tmp_path, [event(1, "a")], records={"contacts.csv": [champion()]})
    snap = ws.snapshot("ACC-1", AS_OF)
    assert snap.lacks(Source.support) and snap.lacks(Source.conversations) and snap.contacts
    assert {m.reason.split()[0] for m in snap.missing} == {
        "deals.csv",
        "tickets.csv",
        "interactions.csv",
        "outcomes.csv",
    }


def test_records_are_grouped_per_account(tmp_path: Path) -> None:
    ws = load(tmp_path, [], records={"tickets.csv": [ticket("P1")], "interactions.csv": [interaction(3, "hi")]})
    assert len(ws.snapshot("ACC-1", AS_OF).tickets) == 1 and ws.snapshot("ACC-2", AS_OF).tickets == ()


# --- bad input ---------------------------------------------------------------------------------


def test_bad_usage_timestamp_names_file_line_column(tmp_path: Path) -> None:
    events = [event(1, "a"), {**event(2, "b"), "ts": "yesterday"}, {**event(3, "c"), "account_id": "ACC-404"}]
    with pytest.raises(DataError) as info:
        load(tmp_path, events)
    text = str(info.value)
    assert "usage_events.csv line 3 column 'ts': not an ISO 8601 timestamp (value 'yesterday')" in text
    assert "usage_events.csv line 4 column 'account_id': account not in accounts.csv (value 'ACC-404')" in text


def test_bad_account_cell_names_line_and_column(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", [account()], [])
    lines = (root / "accounts.csv").read_text().splitlines()
    lines.append(lines[1].replace("ACC-1", "ACC-2").replace(",80.0,", ",eighty,").replace("mid_market", "huge"))
    (root / "accounts.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        Workspace(root, RULES)
    text = str(info.value)
    assert "accounts.csv line 3 column 'health_score'" in text and "'eighty'" in text
    assert "accounts.csv line 3 column 'segment'" in text


def test_missing_column_and_duplicate_id(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", [account(), account()], [])
    with pytest.raises(DataError, match=re.escape("accounts.csv line 3 column 'account_id': duplicate account id")):
        Workspace(root, RULES)
    (root / "tickets.csv").write_text("ticket_id,account_id,priority\nT1,ACC-1,P1\n")
    root2 = write_workspace(tmp_path / "ws2", [account()], [])
    (root2 / "tickets.csv").write_text("ticket_id,account_id,priority\nT1,ACC-1,P1\n")
    with pytest.raises(DataError, match=r"tickets.csv line 1: missing required column\(s\): status, opened_at"):
        Workspace(root2, RULES)


def test_rows_for_unknown_accounts_are_reported_not_dropped(tmp_path: Path) -> None:
    orphan = ticket("P1").model_copy(update={"account_id": "ACC-9"})
    with pytest.raises(
        DataError, match=re.escape("tickets.csv line 2 column 'account_id': account not in accounts.csv")
    ):
        load(tmp_path, [], records={"tickets.csv": [orphan]})


def test_bad_catalog_is_named(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", [account()], [])
    (root / "catalog.json").write_text(json.dumps({"tiers": [], "seat_pack": 0}))
    with pytest.raises(DataError, match=r"catalog\.json"):
        Workspace(root, RULES)


def test_unknown_account_suggests_closest(tmp_path: Path) -> None:
    ws = load(tmp_path, [])
    with pytest.raises(UnknownAccountError) as info:
        ws.snapshot("ACC-3", AS_OF)
    assert "ACC-1 (Acme Analytics)" in str(info.value)
    assert [a.account_id for a in ws.find_accounts("beta")] == ["ACC-2"]
    assert ws.find_accounts("Acme Analytcs")[0].account_id == "ACC-1"


def test_parquet_usage_is_accepted(tmp_path: Path) -> None:
    import duckdb

    ws_dir = write_workspace(tmp_path / "ws", [account()], [*sharing_day(1, "p", 1), event(2, "q")])
    csv_path = ws_dir / "usage_events.csv"
    csv_usage = usage_of(Workspace(ws_dir, RULES))
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{csv_path}', timestampformat='%Y-%m-%dT%H:%M:%S')) "
        f"TO '{ws_dir / 'usage_events.parquet'}' (FORMAT parquet)"
    )
    csv_path.unlink()
    assert usage_of(Workspace(ws_dir, RULES)) == csv_usage


@pytest.mark.parametrize("usage_format", ["csv", "parquet"])
def test_a_ranked_books_usage_is_checked_against_accounts_loaded_beside_it(tmp_path: Path, usage_format: str) -> None:
    """A book to be ranked is aggregated while accounts.csv loads; its accounts are compared once that is
    read: an event of an unknown account still refuses the file, naming its line, with the bad cells."""
    import duckdb

    def book(events: list[dict]) -> Path:  # type: ignore[type-arg]
        root = write_workspace(tmp_path / str(len(events)), [account(), account(account_id="ACC-2")], events)
        if usage_format == "parquet":
            csv_path = root / "usage_events.csv"
            duckdb.sql(
                f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{root}/usage_events.parquet'"
            )
            csv_path.unlink()
        return root

    whole = Reading(whole_book=True, as_of=AS_OF)
    good = [event(1, "a"), event(2, "b", "ACC-2")]
    ranked = Workspace(book(good), RULES, reading=whole)
    assert ranked.snapshot("ACC-2", AS_OF) == Workspace(book(good), RULES).snapshot("ACC-2", AS_OF)
    line = 2 if usage_format == "parquet" else 3
    for bad in (
        [event(1, "a"), event(2, "b", "ACC-404")],
        [event(1, "a"), event(2, "b", "ACC-404"), {**event(3, "c"), "ts": "yesterday"}],
    ):
        with pytest.raises(DataError) as info:
            Workspace(book(bad), RULES, reading=whole)
        text = str(info.value)
        assert f"usage_events.{usage_format} line {line} column 'account_id': account not in accounts.csv" in text
        assert ("'yesterday'" in text) == (len(bad) == 3)


def test_usage_that_does_not_fit_in_memory_spills_outside_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB spills to `.tmp` in the folder a command runs from unless told otherwise: a user's
    folder must not collect spill files, only this user may read them, and they go with the
    connection, closed or merely collected (a one-shot `score` never closes)."""
    monkeypatch.chdir(tmp_path)
    demo_events = demo_workspace_path() / "usage_events.csv"

    def spilled(events: UsageEvents) -> Path:
        files = [Path(row[0]) for row in events.db.execute("SELECT path FROM duckdb_temporary_files()").fetchall()]
        assert files, "the 15 MB demo events should not fit in 24 MB beside the reading"
        return files[0].resolve().parent

    events = UsageEvents(demo_events, None, memory_limit="24MB")
    folder = spilled(events)
    assert not folder.is_relative_to(tmp_path) and list(tmp_path.iterdir()) == []
    assert folder.parent.stat().st_mode & 0o077 == 0 and folder.parent.stat().st_uid == os.getuid()
    events.close()
    assert not folder.exists()
    forgotten = UsageEvents(demo_events, None, memory_limit="24MB")
    folder = spilled(forgotten)
    del forgotten
    gc.collect()
    assert not folder.exists()


def test_a_connection_that_never_spills_leaves_no_folder() -> None:
    """Servers stopped by a signal skip every exit hook: nothing may be made before it is needed."""
    parent = spill_folder().parent

    def ours() -> set[Path]:
        temporary = Path(tempfile.gettempdir())
        return {p for p in temporary.iterdir() if p.name.startswith("expansion-desk")} | set(parent.iterdir())

    before = ours()
    events = UsageEvents(demo_workspace_path() / "usage_events.csv", None)
    assert ours() == before
    events.close()


def test_bundled_demo_loads() -> None:
    ws = Workspace(demo_workspace_path(), RULES)
    assert len(ws.accounts()) >= 150 and ws.default_as_of is not None
    assert ws.default_as_of - timedelta(days=1) < ws.default_as_of


def test_concurrent_assessments_agree_with_serial_ones() -> None:
    """The MCP server answers HTTP callers in parallel threads over one workspace."""
    from concurrent.futures import ThreadPoolExecutor

    from server.desk import Desk
    from server.settings import Settings

    desk = Desk(Settings())
    ids = [a.account_id for a in desk.source.accounts()][:30]
    serial = {i: desk.assess(i).model_dump() for i in ids}
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda i: (i, desk.assess(i).model_dump()), ids * 4))
    assert all(serial[i] == result for i, result in parallel)
