"""`expansion-desk`: the command line on the same core as the MCP server."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from connectors.errors import DataError, SourceError, UnknownAccountError
from connectors.source import Progress
from server.desk import TIERS, Desk, parse_as_of
from server.render import print_assessment, rank_table
from server.settings import SettingsError, load_settings

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)
out = Console() if Console().is_terminal else Console(width=160)  # piped output: room for the table


def emit_json(value: Any) -> None:
    """Models, lists of models and plain data alike, as indented JSON on stdout."""
    click.echo(json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False))


@contextmanager
def user_errors() -> Iterator[None]:
    """Known failures become one clear message and exit code 2 — never a traceback."""
    try:
        yield
    except (DataError, SettingsError, SourceError, UnknownAccountError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)


@contextmanager
def progress_bar(label: str, quiet: bool = False) -> Iterator[Progress]:
    """A transient bar on stderr for long work; silent for --json output and when not on a terminal.

    Yields the `(done, total)` callback the core calls as it goes.
    """
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with RichProgress(*columns, console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def data_options(func: F) -> F:
    func = click.option(
        "--as-of",
        "as_of",
        metavar="YYYY-MM-DD",
        help="Evaluate at this day (default: workspace export day, else today).",
    )(func)
    func = click.option(
        "--config", "config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file."
    )(func)
    func = click.option(
        "--workspace",
        "workspace",
        type=click.Path(path_type=Path, file_okay=False),
        help="Workspace folder (default: the bundled demo).",
    )(func)
    return func


def open_desk(workspace: Path | None, config: Path | None) -> Desk:
    settings = load_settings(config)
    if workspace is not None:
        settings = settings.model_copy(update={"workspace": workspace})
    return Desk(settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="expansion-desk")
def main() -> None:
    """Find the accounts ready to expand and build the commercial case. Every proposal is a draft for a CSM."""


@main.command()
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


@main.command()
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


@main.command()
@click.argument("account_id")
@data_options
def snapshot(account_id: str, workspace: Path | None, config: Path | None, as_of: str | None) -> None:
    """The account's evidence as JSON: what every calculator reads (a starting point for an eval case)."""
    with user_errors():
        emit_json(open_desk(workspace, config).snapshot(account_id, as_of))


@main.command()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--accounts", default=200, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD", help="Export day of the data (default: today).")
@click.option("--parquet", is_flag=True, help="Write usage_events as Parquet.")
def demo(out_dir: Path, accounts: int, seed: int, as_of: str | None, parquet: bool) -> None:
    """Write a realistic, deterministic demo workspace."""
    from connectors.demo import generate_workspace

    with user_errors(), progress_bar("generating") as progress:
        summary = generate_workspace(
            out_dir,
            accounts=accounts,
            seed=seed,
            as_of=parse_as_of(as_of, date.today()),
            usage_format="parquet" if parquet else "csv",
            progress=progress,
        )
    err.print(f"wrote {summary.accounts} accounts and {summary.usage_events} usage events to {out_dir}")


@main.group()
def sources() -> None:
    """Data sources: which source serves each kind of evidence."""


@sources.command("check")
@click.option("--workspace", "workspace", type=click.Path(path_type=Path, file_okay=False))
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def sources_check(workspace: Path | None, config: Path | None, as_json: bool) -> None:
    """Try each configured source with one cheap call and say what works; exit 1 if any fails."""
    from connectors.composite import check_sources
    from server.desk import open_workspace, uses_workspace

    with user_errors():
        settings = load_settings(config)
        if workspace is not None:
            settings = settings.model_copy(update={"workspace": workspace})
        ws = open_workspace(settings) if uses_workspace(settings) else None
        results = check_sources(settings.connectors, settings.rules, ws)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            mark = "[green]ok[/green]  " if r.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {r.source:<11} ({', '.join(r.kinds)}): {r.detail}", highlight=False)
    if not all(r.ok for r in results):
        sys.exit(1)


def _register() -> None:
    """Commands that live beside the features they drive."""
    from server.cli_chat import chat
    from server.cli_eval import eval_command
    from server.cli_proposals import COMMANDS
    from server.cli_serve import serve

    for command in (*COMMANDS, eval_command, serve, chat):
        main.add_command(command)


_register()
