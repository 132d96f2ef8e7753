"""What every command shares: consoles, JSON output, the user-error boundary, progress, data options."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from connectors.errors import DataError, SourceError, UnknownAccountError
from connectors.source import Progress
from connectors.workspace import READ_ALL, Reading
from server.desk import Desk, unsourced_kinds
from server.settings import Settings, SettingsError, load_settings

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)
out = Console() if Console().is_terminal else Console(width=160)  # piped output: room for the table


def emit_json(value: Any) -> None:
    """Models, lists of models and plain data alike, as indented strict JSON on stdout: a NaN or
    infinity is a bug upstream (inputs are checked finite), reported rather than printed."""
    try:
        text = json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"refusing to print non-finite numbers as JSON ({exc})") from None
    click.echo(text)


@contextmanager
def user_errors() -> Iterator[None]:
    """Known failures become one clear message and exit code 2 — never a traceback."""
    try:
        yield
    except (DataError, SettingsError, SourceError, UnknownAccountError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except BrokenPipeError:  # the reader stopped early (`rank --json | head`): nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the final flush must not fail
        sys.exit(0)
    except OSError as exc:  # a path the user named that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(f'{where}{exc.strerror or exc}')}", highlight=False, soft_wrap=True)
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


def settings_for(workspace: Path | None, config: Path | None) -> Settings:
    """The settings from `--config` (file and environment), with `--workspace` over them when given."""
    settings = load_settings(config)
    return settings if workspace is None else settings.model_copy(update={"workspace": workspace})


ONE_ACCOUNT = Reading(records_on_demand=True)
"""How `score`, `snapshot` and `propose` read a workspace: that account's records only."""


_LEFT_FOR_EXIT: list[Desk] = []


def leave_for_exit(desk: Desk) -> None:
    """A one-shot command is done with the book it loaded: the desk's connections close now, and its
    objects are left for the process's end (`app.run`) to drop at once, not freed one by one (1.3 s
    at 100,000 accounts). One desk is kept at a time, so a test invoking commands in turn keeps one."""
    desk.close()
    _LEFT_FOR_EXIT[:] = [desk]


def book_left_for_exit() -> bool:
    return bool(_LEFT_FOR_EXIT)


def open_desk(workspace: Path | None, config: Path | None, reading: Reading = READ_ALL) -> Desk:
    settings = settings_for(workspace, config)
    if kinds := unsourced_kinds(settings):
        err.print(
            f"[yellow]note:[/yellow] no workspace folder given, so {', '.join(kinds)} have no source "
            "(reported as missing evidence; the demo is used only when nothing is configured)",
            highlight=False,
        )
    return Desk(settings, reading=reading)
