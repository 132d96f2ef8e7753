"""`rank` output as people and pipelines read it: formats, columns, narrow terminals, CSM names; the
command line importing only what a command needs; the desk's book cache following file changes."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from rich.console import Console

from connectors.workspace import demo_workspace_path
from server.cli import main
from server.cli.app import COMMAND_HELP, COMMAND_MODULES, module_commands
from server.cli.render import DROP_ORDER, RANK_COLUMNS, rank_table
from server.desk import Desk
from server.settings import Settings


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def ranked() -> list[dict]:  # type: ignore[type-arg]
    code, out = run("rank", "--json")
    assert code == 0
    return list(json.loads(out))


def test_json_is_laid_out_like_an_indented_dump(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    code, out = run("rank", "--format", "json", "--limit", "3")
    assert code == 0 and out == json.dumps(ranked[:3], indent=2, ensure_ascii=False) + "\n"
    code, out = run("rank", "--json", "--tier", "priority", "--segment", "smb", "--csm", ranked[-1]["csm_owner"])
    expected = [
        a
        for a in ranked
        if a["tier"] == "priority" and a["segment"] == "smb" and a["csm_owner"] == ranked[-1]["csm_owner"]
    ]
    assert code == 0 and json.loads(out) == expected


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_the_ranking_is_the_same_whatever_the_number_of_processes(ranked: list[dict], jobs: str) -> None:  # type: ignore[type-arg]
    code, out = run("rank", "--json", "--jobs", jobs)
    assert code == 0 and json.loads(out) == ranked


def test_jsonl_and_csv_carry_the_same_ranking(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    code, out = run("rank", "--format", "jsonl", "--limit", "5")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and lines == ranked[:5]
    code, out = run("rank", "--format", "csv", "--limit", "5")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["account_id"] for r in rows] == [a["account_id"] for a in ranked[:5]]
    assert [float(r["proposed_expansion_value"]) for r in rows] == [a["proposed_expansion_value"] for a in ranked[:5]]
    assert rows[0]["rank"] == "1" and rows[0]["currency"] == ranked[0]["currency"]


def test_csv_of_the_whole_book_puts_each_rank_in_place_and_quotes_what_needs_it(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    """CSV rows are encoded as each account is assessed, before its rank is known; the rank is put
    in its column when the rows are written in order, wherever that column stands."""
    code, out = run("rank", "--format", "csv", "--columns", "name,rank,account_id,blockers")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == ["name", "rank", "account_id", "blockers"]
    assert [r[1] for r in rows[1:]] == [str(n) for n in range(1, len(ranked) + 1)]
    assert [(r[0], r[2]) for r in rows[1:]] == [(a["name"], a["account_id"]) for a in ranked]
    assert any("," in r[3] for r in rows[1:])  # "gate failed, open_p1": a quoted cell read back whole
    code, out = run("rank", "--format", "csv", "--columns", "rank", "--tier", "ready")
    assert code == 0 and out.splitlines()[1:] == [
        str(n) for n in range(1, sum(a["tier"] == "ready" for a in ranked) + 1)
    ]


@pytest.mark.parametrize("columns", ["rank,account_id,rank", "blockers", "name,rank,rank,blockers", "rank"])
def test_csv_is_what_a_plain_csv_writer_makes_of_the_ranked_book(columns: str) -> None:
    """Ranks repeated, adjacent or alone; a lone empty cell written `""` (a blank line would be skipped by readers)."""
    picked = columns.split(",")
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(picked)
    for n, a in enumerate(Desk(Settings()).rank(), start=1):
        writer.writerow([RANK_COLUMNS[c].value(n, a) for c in picked])
    code, out = run("rank", "--format", "csv", "--columns", columns)
    assert code == 0 and out == expected.getvalue()


def test_columns_pick_fields_and_unknown_ones_are_named() -> None:
    code, out = run("rank", "--format", "jsonl", "--limit", "2", "--columns", "account_id,score")
    assert code == 0 and all(set(json.loads(line)) == {"account_id", "score"} for line in out.splitlines())
    code, out = run("rank", "--format", "csv", "--limit", "1", "--columns", "score,account_id")
    assert code == 0 and out.splitlines()[0] == "score,account_id"
    code, out = run("rank", "--format", "jsonl", "--limit", "1", "--columns", "account_id,signals")
    assert code == 0 and set(json.loads(out)) == {"account_id", "signals"}
    code, out = run("rank", "--columns", "account_id,colour")
    assert code == 2 and "colour" in out and "account_id" in out


def test_narrow_terminal_drops_columns_in_the_stated_order_and_keeps_ids_and_money() -> None:
    rows = Desk(Settings()).rank(limit=5)
    for width in (160, 100, 80, 60, 50):
        console = Console(width=width, record=True)
        console.print(rank_table(rows, "t", width=width))
        text = console.export_text()
        for a in rows:
            assert a.account_id in text and f"{a.currency} {a.proposed_expansion_value:,.0f}" in text
    narrow = Console(width=60, record=True)
    narrow.print(rank_table(rows, "t", width=60))
    header = narrow.export_text()
    assert "Latest trigger" not in header and "Segment" not in header  # the first to go
    code, out = run("rank", "--help")
    stated = " ".join(out.split()).split("drops columns in this order:")[1]
    positions = [stated.index(name) for name in DROP_ORDER]
    assert code == 0 and positions == sorted(positions)


def test_csm_first_name_and_unknown_name() -> None:
    owner = Desk(Settings()).source.accounts()[0].csm_owner
    code, out = run("rank", "--format", "csv", "--columns", "csm_owner", "--csm", owner.split(" ")[0].lower())
    assert code == 0 and set(out.splitlines()[1:]) == {owner}
    code, out = run("rank", "--csm", owner.split(" ")[0] + "x")
    out = " ".join(out.split())
    assert code == 2 and "no CSM named" in out and f"Closest: {owner}" in out


def test_every_exported_command_is_listed_for_the_lazy_help() -> None:
    exported = {name: module for module in COMMAND_MODULES for name in module_commands(module)}
    assert {name: module for name, (module, _) in COMMAND_HELP.items()} == exported


@pytest.mark.parametrize("args", [["--help"], ["rank", "--limit", "1", "--json"]])
def test_commands_import_only_what_they_need(args: list[str]) -> None:
    probe = (
        "import sys; from click.testing import CliRunner; from server.cli import main; "
        f"r = CliRunner().invoke(main, {args!r}); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in ('anthropic', 'mcp', 'jinja2', 'connectors.composite', 'sqlalchemy', 'httpx') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_runs_the_same_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", "--help"], capture_output=True, text=True, check=True)
    assert "rank" in out.stdout and "propose" in out.stdout


def test_the_script_ends_after_a_ranking_with_its_output_whole_and_its_exit_code(tmp_path: Path) -> None:
    """`rank` leaves its book for the process's end (no freeing object by object): what it wrote
    must still reach the reader whole, the exit code must be the command's, and its DuckDB
    connection must be closed first (`Desk.close`)."""
    script = [sys.executable, "-m", "server.cli"]
    done = subprocess.run([*script, "rank", "--format", "csv"], capture_output=True, text=True, cwd=tmp_path)
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert done.returncode == 0 and done.stderr == ""
    assert len(rows) == 201 and rows[0][:2] == ["rank", "account_id"] and rows[-1][0] == "200"
    table = subprocess.run([*script, "rank", "--limit", "3"], capture_output=True, text=True, cwd=tmp_path)
    assert table.returncode == 0 and "ACC-" in table.stdout
    refused = subprocess.run([*script, "rank", "--csm", "Nobody"], capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode == 2 and "no CSM named 'Nobody'" in refused.stderr
    assert list(tmp_path.iterdir()) == []  # no spill or other file left behind


def test_a_closed_desk_has_closed_its_usage_connection() -> None:
    desk = Desk(Settings())
    usage = desk.source.usage  # type: ignore[attr-defined]
    desk.close()
    with pytest.raises(duckdb.ConnectionException):
        usage.db.execute("SELECT 1")


def test_the_book_is_kept_until_a_workspace_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    shutil.copytree(demo_workspace_path(), folder)
    desk = Desk(Settings(workspace=folder))
    day = desk.as_of()
    first = desk.book(day)
    assert desk.book(day) is first
    accounts = folder / "accounts.csv"
    lines = accounts.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = next(csv.DictReader(io.StringIO("\n".join(lines[:2]))))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerow({**row, "name": "Renamed Co"})
    accounts.write_text(buffer.getvalue() + "\n".join(lines[2:]) + "\n", encoding="utf-8")
    stat = accounts.stat()
    os.utime(accounts, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = desk.book(day)
    assert again is not first
    assert desk.assess(row["account_id"], day).name == "Renamed Co"
    assert desk.book(date(2026, 10, 1)) is not again


def test_a_reader_that_stops_early_is_not_an_error() -> None:
    """`rank --json | head`: the closed pipe ends the command quietly, with no error message."""
    command = [sys.executable, "-m", "server.cli", "rank", "--json"]
    ranking = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert ranking.stdout is not None and ranking.stdout.read(10) == b"[\n  {\n    "
    ranking.stdout.close()
    _, stderr = ranking.communicate(timeout=120)
    assert ranking.returncode == 0 and b"error" not in stderr.lower() and b"Traceback" not in stderr
