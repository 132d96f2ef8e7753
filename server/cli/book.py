"""The book commands: `rank`, `score`, `snapshot`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any

import click

from connectors.workspace import Reading
from server.cli.common import (
    ONE_ACCOUNT,
    data_options,
    emit_json,
    leave_for_exit,
    open_desk,
    out,
    progress_bar,
    user_errors,
)
from server.cli.render import (
    CSV_COLUMNS,
    DROP_ORDER,
    RANK_COLUMNS,
    TABLE_COLUMNS,
    csv_text,
    json_text,
    parse_columns,
    print_assessment,
    rank_table,
    write_csv,
    write_json,
    write_jsonl,
)
from server.desk import parse_as_of
from skills.assessment import AccountAssessment

TIERS = ("priority", "ready", "candidate", "not_yet")
FORMATS = ("table", "json", "jsonl", "csv")


@click.command(
    epilog=(
        "Columns (--columns, comma-separated; table and csv): "
        + ", ".join(RANK_COLUMNS)
        + ". With json and jsonl, --columns names the fields of each account to keep (those of score --json). "
        "A terminal too narrow for the table drops columns in this order: "
        + ", ".join(DROP_ORDER)
        + "; the rank, account id, score and money columns are never dropped or cut."
    )
)
@data_options
@click.option("--segment", type=click.Choice(["smb", "mid_market", "enterprise"]))
@click.option("--csm", "csm_owner", help="Only this CSM's book: full name, or a first name only one CSM has.")
@click.option("--tier", type=click.Choice(TIERS))
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Show the top N. A small N against the book is quicker: every account is ranked, only the N are assessed in full.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="table (default), json (a list), jsonl (one account per line) or csv. Accounts are written as they are ready.",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--columns", metavar="A,B,...", help="Which columns (table, csv) or fields (json, jsonl) to write.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes assessing the book for json and jsonl, and ranking it for a --limit (default: the machine's cores). "
    "--jobs 1 is slower but needs less memory on a very large book (2.1 instead of 2.3 GiB at 100,000 accounts, and 50 instead of 41 s).",
)
def rank(
    workspace: Path | None,
    config: Path | None,
    as_of: str | None,
    segment: str | None,
    csm_owner: str | None,
    tier: Any,
    limit: int | None,
    output_format: str | None,
    as_json: bool,
    columns: str | None,
    jobs: int | None,
) -> None:
    """The Expansion-Ready Account List, best first."""
    with user_errors():
        chosen = output_format or ("json" if as_json else "table")
        if as_json and chosen != "json":
            raise click.UsageError(f"--json and --format {chosen} disagree; give one of them")
        if chosen in ("json", "jsonl"):
            picked = parse_columns(columns, (), AccountAssessment.model_fields)
        else:
            picked = parse_columns(columns, TABLE_COLUMNS if chosen == "table" else CSV_COLUMNS)
        day = None if as_of is None else parse_as_of(as_of, date.today())
        desk = open_desk(workspace, config, Reading(whole_book=True, as_of=day))
        owner = desk.csm(csm_owner) if csm_owner is not None else None
        if chosen == "table":
            with progress_bar("scoring accounts") as progress:
                rows = desk.rank(as_of, segment, owner, tier, limit, progress, jobs)
            out.print(rank_table(rows, f"Expansion-ready accounts · as of {desk.as_of(as_of)}", picked, out.width))
            leave_for_exit(desk)
            return
        write: Callable[[IO[bytes], Iterable[bytes]], None]
        if chosen == "csv":
            encode, write = csv_text(picked), partial(write_csv, columns=picked)
        else:
            encode = json_text(picked or None, 2 if chosen == "json" else None)
            write = write_json if chosen == "json" else write_jsonl
        sys.stdout.flush()
        write(sys.stdout.buffer, desk.ranked_text(encode, as_of, segment, owner, tier, limit, jobs))
        sys.stdout.buffer.flush()
        leave_for_exit(desk)


@click.command()
@click.argument("account_id")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def score(account_id: str, workspace: Path | None, config: Path | None, as_of: str | None, as_json: bool) -> None:
    """Readiness score, gate, offer, price and timing for one account, with evidence."""
    with user_errors():
        assessment = open_desk(workspace, config, ONE_ACCOUNT).assess(account_id, as_of)
        if as_json:
            emit_json(assessment)
        else:
            print_assessment(out, assessment)


@click.command()
@click.argument("account_id")
@data_options
def snapshot(account_id: str, workspace: Path | None, config: Path | None, as_of: str | None) -> None:
    """The account's evidence as JSON: what every calculator reads (a starting point for an eval case)."""
    with user_errors():
        emit_json(open_desk(workspace, config, ONE_ACCOUNT).snapshot(account_id, as_of))


COMMANDS = (rank, score, snapshot)
