"""The book commands: `rank`, `score`, `snapshot`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from server.cli.common import data_options, emit_json, open_desk, out, progress_bar, user_errors
from server.cli.render import print_assessment, rank_table
from server.desk import TIERS


@click.command()
@data_options
@click.option("--segment", type=click.Choice(["smb", "mid_market", "enterprise"]))
@click.option("--csm", "csm_owner", help="Only this CSM's book.")
@click.option("--tier", type=click.Choice(TIERS))
@click.option("--limit", type=int, default=None, help="Show the top N.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rank(
    workspace: Path | None,
    config: Path | None,
    as_of: str | None,
    segment: str | None,
    csm_owner: str | None,
    tier: Any,
    limit: int | None,
    as_json: bool,
) -> None:
    """The Expansion-Ready Account List, best first."""
    with user_errors():
        desk = open_desk(workspace, config)
        with progress_bar("scoring accounts", quiet=as_json) as progress:
            rows = desk.rank(as_of, segment, csm_owner, tier, limit, progress=progress)
        if as_json:
            emit_json(rows)
        else:
            out.print(rank_table(rows, f"Expansion-ready accounts · as of {desk.as_of(as_of)}"))


@click.command()
@click.argument("account_id")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def score(account_id: str, workspace: Path | None, config: Path | None, as_of: str | None, as_json: bool) -> None:
    """Readiness score, gate, offer, price and timing for one account, with evidence."""
    with user_errors():
        assessment = open_desk(workspace, config).assess(account_id, as_of)
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
        emit_json(open_desk(workspace, config).snapshot(account_id, as_of))


COMMANDS = (rank, score, snapshot)
