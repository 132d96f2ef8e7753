"""Issue 15: every kind of bad workspace input gives a clear error naming the file (and line,
column) — never a traceback, never a silently wrong number."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from connectors.errors import DataError
from connectors.usage_events import OFFSET_AWARE_UTC, TEXT_TIMESTAMP_UTC
from connectors.workspace import Reading, Workspace
from server.cli import main
from skills.rules import Rules
from tests.factory import AS_OF, account, event, interaction, outcome, ticket, write_workspace

RULES = Rules()


def workspace(tmp_path: Path, events: list[dict] | None = None, **records: list) -> Path:  # type: ignore[type-arg]
    files = {f"{name}.csv": rows for name, rows in records.items()}
    return write_workspace(
        tmp_path / "ws", [account(), account(account_id="ACC-2", name="Beta Corp")], events or [], files
    )


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def problems(root: Path) -> str:
    with pytest.raises(DataError) as info:
        Workspace(root, RULES).close()
    return str(info.value)


def replace_cell(path: Path, column: str, value: str, line: int = 2) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- numbers: finite and plausible --------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("arr", "inf", "between 0 and 1,000,000,000,000"),
        ("arr", "1e309", "between 0 and 1,000,000,000,000"),
        ("arr", "NaN", "between 0 and 1,000,000,000,000"),
        ("price_per_seat", "Infinity", "between 0 and 1,000,000,000,000"),
        ("seats_licensed", "1e23", "between 0 and 10,000,000"),
        ("seats_licensed", "12.5", "not a whole number"),
        ("health_score", "101", "between 0 and 100"),
        ("contract_start", "0001-01-01", "between 1900-01-01 and 2200-12-31"),
    ],
)
def test_account_numbers_must_be_finite_and_plausible(tmp_path: Path, column: str, value: str, says: str) -> None:
    root = workspace(tmp_path)
    replace_cell(root / "accounts.csv", column, value)
    text = problems(root)
    assert f"accounts.csv line 2 column '{column}'" in text and says in text and repr(value) in text


def test_a_whole_number_too_long_for_a_float_is_out_of_range(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    replace_cell(root / "accounts.csv", "seats_licensed", "9" * 400)  # math.isfinite raised OverflowError
    text = problems(root)
    assert "line 2 column 'seats_licensed': out of range: must be between 0 and 10,000,000" in text
    assert "(400 characters)" in text


def test_nan_outcome_value_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path, outcomes=[outcome(10)])
    replace_cell(root / "outcomes.csv", "value", "nan")
    assert "outcomes.csv line 2 column 'value': out of range" in problems(root)


def test_spreadsheet_whole_numbers_still_read(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    replace_cell(root / "accounts.csv", "seats_licensed", "25.0")
    ws = Workspace(root, RULES)
    assert ws.resolve("ACC-1").seats_licensed == 25


def test_renewal_before_contract_start_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    replace_cell(root / "accounts.csv", "renewal_date", "2019-01-01")
    text = problems(root)
    assert "accounts.csv line 2" in text and "renewal_date 2019-01-01 is before contract_start" in text


def test_plan_tier_missing_from_catalog_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    replace_cell(root / "accounts.csv", "plan_tier", "platinum", line=3)
    text = problems(root)
    assert "accounts.csv line 3 column 'plan_tier': not a tier in catalog.json" in text and "'platinum'" in text


# --- timestamps: one convention (UTC) -----------------------------------------------------------


def test_offset_and_naive_interaction_timestamps_mix(tmp_path: Path) -> None:
    root = workspace(tmp_path, interactions=[interaction(3, "hi"), interaction(4, "there")])
    replace_cell(root / "interactions.csv", "ts", "2026-11-10T01:30:00+02:00")
    ws = Workspace(root, RULES)
    times = sorted(i.ts for i in ws.snapshot("ACC-1", AS_OF).interactions)
    assert datetime(2026, 11, 9, 23, 30) in times and all(t.tzinfo is None for t in times)


def test_usage_timestamp_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a")])
    replace_cell(root / "usage_events.csv", "ts", "2026-11-16T01:00:00+02:00")
    ws = Workspace(root, RULES)
    assert ws.usage is not None
    assert ws.usage.run("SELECT ts FROM usage_events", {})[0][0] == datetime(2026, 11, 15, 23, 0)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-16 01:00:00",
        "2026-11-16T01:00:00",
        "2026-11-16T01:00+02",  # 19 characters with an offset: must not take the plain cast
        "2026-1-16 1:00+02:00",
        "2026-11-16T01:00:00Z",
        "2026-11-16 01:00:00.25",
        "2026-11-16T01:00:00-05:30",
        "2026-11-16",
        "2026-13-16 01:00:00",
        "2026-11-16 25:00:00",
        "not a time",
        "",
    ],
)
def test_usage_timestamp_fast_form_reads_the_same_instant_as_the_offset_aware_cast(text: str) -> None:
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    row = db.execute(f"SELECT {TEXT_TIMESTAMP_UTC}, {OFFSET_AWARE_UTC} FROM (SELECT $t AS ts)", {"t": text}).fetchone()
    assert row is not None and row[0] == row[1]


# --- encodings and the byte-order mark ----------------------------------------------------------


def test_bom_accepted_in_csv_and_json(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a")], tickets=[ticket()])
    for name in ("accounts.csv", "tickets.csv", "usage_events.csv", "catalog.json", "manifest.json"):
        path = root / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ws = Workspace(root, RULES)
    assert ws.default_as_of == AS_OF and len(ws.snapshot("ACC-1", AS_OF).tickets) == 1


@pytest.mark.parametrize("name", ["accounts.csv", "tickets.csv", "usage_events.csv", "catalog.json"])
def test_latin1_bytes_name_file_and_line(tmp_path: Path, name: str) -> None:
    root = workspace(tmp_path, [event(1, "a"), event(2, "b")], tickets=[ticket()])
    path = root / name
    data = path.read_bytes()
    if name == "catalog.json":
        data = data.replace(b'"id": "starter"', b'"id": "st\xe9rter"', 1).replace(b'"starter"', b'"st\xe9rter"')
        line = 1
    else:
        lines = data.split(b"\n")
        lines[2 if len(lines) > 3 else 1] = lines[2 if len(lines) > 3 else 1].replace(b"ACC-", b"ACC\xe9-", 1)
        data = b"\n".join(lines)
        line = 3 if len(lines) > 3 else 2
    path.write_bytes(data)
    text = problems(root)
    assert re.search(rf"{re.escape(name)} line {line}\b.*not UTF-8", text), text


# --- CSV structure ------------------------------------------------------------------------------


def test_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    path = root / "accounts.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",arr", *(row + ",5" for row in lines[1:])]) + "\n")
    text = problems(root)
    assert "accounts.csv line 1 column 'arr': column 'arr' appears twice in the header" in text


def test_header_only_accounts_says_no_rows(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a")], tickets=[ticket()])
    path = root / "accounts.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    with pytest.raises(DataError) as info:
        Workspace(root, RULES)
    assert info.value.total == 1 and "accounts.csv has no rows" in str(info.value)


def test_ragged_rows_named_by_line(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a"), event(2, "b"), event(3, "c")], tickets=[ticket()])
    for name in ("usage_events.csv", "tickets.csv"):
        path = root / name
        lines = path.read_text().splitlines()
        lines[-1] = lines[-1].rsplit(",", 1)[0]
        path.write_text("\n".join(lines) + "\n")
    text = problems(root)
    assert "usage_events.csv line 4: has fewer cells than the header" in text
    assert "tickets.csv line 2: has 5 cell(s) but the header has 6" in text


def test_huge_csv_cell_is_a_clean_error(tmp_path: Path) -> None:
    root = workspace(tmp_path, tickets=[ticket()])
    replace_cell(root / "tickets.csv", "subject", '"' + "x" * 200_000 + '"')
    assert "tickets.csv line 2: not readable as CSV: a cell is longer than 131,072 characters" in problems(root)


def test_huge_usage_cell_is_a_clean_error(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a"), event(2, "b")])
    replace_cell(root / "usage_events.csv", "feature", "y" * 2_000_000, line=3)
    assert "usage_events.csv line 3: line longer than 1,000,000 bytes" in problems(root)


def test_late_quoted_usage_values_are_unquoted_like_early_ones(tmp_path: Path) -> None:
    events = [event(1 + n % 20, f"u{n}") for n in range(3000)]
    root = workspace(tmp_path, events)
    replace_cell(root / "usage_events.csv", "department", '"Sales, EMEA"', line=3001)
    ws = Workspace(root, RULES)
    assert ws.usage is not None
    departments = {row[0] for row in ws.usage.run("SELECT DISTINCT department FROM usage_events", {})}
    assert "Sales, EMEA" in departments and not any('"' in d for d in departments)


def test_corrupt_parquet_is_a_clean_error(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "usage_events.csv").unlink()
    (root / "usage_events.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    assert "usage_events.parquet: cannot be read" in problems(root)


def test_both_usage_files_present_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a")])
    (root / "usage_events.parquet").write_bytes(b"")
    assert "both usage_events.parquet and usage_events.csv are present" in problems(root)


# --- readable JSON errors, and every problem at once --------------------------------------------


def test_manifest_errors_are_readable(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "manifest.json").write_text(json.dumps({"as_of": "last tuesday"}))
    text = problems(root)
    assert "manifest.json column 'as_of'" in text and "'last tuesday'" in text
    assert "validation error for" not in text and "errors.pydantic.dev" not in text


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    root = workspace(tmp_path, [event(1, "a")], tickets=[ticket()])
    replace_cell(root / "accounts.csv", "segment", "huge")
    replace_cell(root / "tickets.csv", "priority", "P9")
    replace_cell(root / "usage_events.csv", "ts", "yesterday")
    (root / "manifest.json").write_text("{not json")
    text = problems(root)
    for where in ("accounts.csv line 2", "tickets.csv line 2", "usage_events.csv line 2", "manifest.json line 1"):
        assert where in text, where


def test_day_columns_keep_their_calendar_day() -> None:
    from skills.snapshot import Ticket

    t = Ticket.model_validate(
        {"ticket_id": "T", "account_id": "A", "priority": "P1", "status": "open", "opened_at": "2026-01-05T00:00:00"}
    )
    assert t.opened_at == date(2026, 1, 5)


def test_duckdb_never_draws_its_progress_bar_on_stdout(tmp_path: Path) -> None:
    """A long usage query drew DuckDB's progress bar on stdout, in front of `rank --json` output."""
    ws = Workspace(workspace(tmp_path, [event(1, "a")]), RULES)
    assert ws.usage is not None
    assert ws.usage.run("SELECT current_setting('enable_progress_bar')", {})[0][0] is False


def test_a_single_account_answer_reads_and_checks_only_that_accounts_records(tmp_path: Path) -> None:
    """`score` reads one account's rows (records on demand): a bad row of another account is not its
    evidence and does not stop it; its own bad row is named by file, line and column; the book (rank)
    still reads and checks every row."""
    beta = ticket().model_copy(update={"ticket_id": "T-beta", "account_id": "ACC-2"})
    root = workspace(tmp_path, [event(1, "a")], tickets=[ticket(), beta])
    replace_cell(root / "tickets.csv", "priority", "urgent", line=3)  # ACC-2's ticket
    on_demand = Workspace(root, RULES, reading=Reading(records_on_demand=True))
    alpha = on_demand.snapshot("ACC-1", AS_OF)
    assert [t.ticket_id for t in alpha.tickets] == ["T-P2-open"]
    with pytest.raises(DataError) as info:
        on_demand.snapshot("ACC-2", AS_OF)
    assert "tickets.csv line 3 column 'priority'" in str(info.value)
    with pytest.raises(DataError) as book:
        list(on_demand.snapshots(AS_OF))
    assert "tickets.csv line 3 column 'priority'" in str(book.value)
    assert "tickets.csv line 3 column 'priority'" in problems(root)  # the eager load reports it up front
    code, out = run_cli("score", "ACC-1", "--json", "--workspace", str(root))
    assert code == 0 and json.loads(out)["account_id"] == "ACC-1"
    code, out = run_cli("rank", "--json", "--workspace", str(root))
    assert code == 2 and "tickets.csv line 3 column 'priority'" in out


def test_records_on_demand_give_the_same_snapshots() -> None:
    from connectors.workspace import demo_workspace_path

    eager = Workspace(demo_workspace_path(), RULES)
    day = eager.default_as_of
    assert day is not None
    ids = [a.account_id for a in eager.accounts()][::25]
    assert ids and all(
        Workspace(demo_workspace_path(), RULES, reading=Reading(records_on_demand=True)).snapshot(i, day)
        == eager.snapshot(i, day)
        for i in ids
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_one_accounts_records_whatever_the_lines_hold(tmp_path: Path, newline: str) -> None:
    """A single-account read parses only the lines naming the account when each line is a record;
    a quoted note across lines (or a bare carriage return) makes it read the file whole. Either way
    the account gets the eager load's records, and a bad cell keeps its line in the file."""
    said = interaction(3, 'She said "we need dashboards",\nthen: "and ACC-2\'s team?"', iid="I-multi")
    beta = [i.model_copy(update={"account_id": "ACC-2", "interaction_id": f"I-beta-{n}"}) for n, i in
            enumerate([interaction(2), interaction(9, "ACC-1 was mentioned by Beta")])]  # fmt: skip
    for records in ([interaction(1), *beta, interaction(5)], [interaction(1), said, *beta, interaction(5)]):
        root = workspace(tmp_path / str(len(records)), [event(1, "a")], interactions=records)
        path = root / "interactions.csv"
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", newline.encode()))
        eager, on_demand = Workspace(root, RULES), Workspace(root, RULES, reading=Reading(records_on_demand=True))
        for account_id in ("ACC-1", "ACC-2"):
            assert on_demand.snapshot(account_id, AS_OF) == eager.snapshot(account_id, AS_OF)
        lines = path.read_bytes().decode().split(newline)
        last = max(n for n, line in enumerate(lines, start=1) if line.startswith("I-5-call"))
        lines[last - 1] = lines[last - 1].replace(",call,", ",fax,", 1)
        path.write_text(newline.join(lines), encoding="utf-8", newline="")
        with pytest.raises(DataError) as info:
            Workspace(root, RULES, reading=Reading(records_on_demand=True)).snapshot("ACC-1", AS_OF)
        assert f"interactions.csv line {last} column 'source'" in str(info.value)
        assert Workspace(root, RULES, reading=Reading(records_on_demand=True)).snapshot("ACC-2", AS_OF).interactions
