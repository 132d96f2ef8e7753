"""The data commands: `demo` (write a demo workspace) and `sources check`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from rich.markup import escape

from server.cli.common import emit_json, err, out, progress_bar, settings_for, user_errors
from server.desk import parse_as_of


@click.command()
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


@click.group()
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
        settings = settings_for(workspace, config)
        ws = open_workspace(settings) if uses_workspace(settings) else None
        if ws is not None:
            ws.check_files_read_on_use()
        results = check_sources(settings.connectors, settings.rules, ws)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            mark = "[green]ok[/green]  " if r.ok else "[red]FAIL[/red]"
            out.print(f"{mark} {r.source:<11} ({', '.join(r.kinds)}): {escape(r.detail)}", highlight=False)
    if not all(r.ok for r in results):
        sys.exit(1)


COMMANDS = (demo, sources)
