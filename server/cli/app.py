"""`expansion-desk`: the command line on the same core as the MCP server.

One module per command group beside this one; each exports `COMMANDS`. The group imports a module
only when one of its commands runs (or its help is asked for): `anthropic`, the MCP SDK, jinja2 and
the connectors cost seconds to import, and `expansion-desk --help` or `rank` needs none of them.
`COMMAND_HELP` lists every command with its one-line help so the top-level help imports nothing;
a command a module exports but the table lacks still works (found by importing every module), and
tests/test_cli.py fails until the table names it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import click

COMMAND_MODULES = ("book", "data", "portfolio", "proposals", "evals", "serve", "chat", "web", "backtest")

COMMAND_HELP: dict[str, tuple[str, str]] = {
    "rank": ("book", "The Expansion-Ready Account List, best first."),
    "score": ("book", "Readiness score, gate, offer, price and timing for one account, with evidence."),
    "snapshot": ("book", "The account's evidence as JSON: what every calculator reads."),
    "demo": ("data", "Write a realistic, deterministic demo workspace."),
    "sources": ("data", "Data sources: which source serves each kind of evidence."),
    "changes": ("portfolio", "Accounts whose score, tier, gate, blockers or offer changed between two days, and why."),
    "portfolio": (
        "portfolio",
        "The book as a whole: NRR and GRR, pipeline per tier, weighted forecast, a row per CSM.",
    ),
    "propose": ("proposals", "Build a checked draft proposal: internal prep for the CSM and the customer summary."),
    "show": ("proposals", "A stored proposal again: both documents (Markdown), or its JSON."),
    "queue": ("proposals", "Drafts awaiting review across accounts, oldest first: value, age and CSM."),
    "review": (
        "proposals",
        "Record the CSM's decision: draft → approved → sent, or declined; --push writes to the CRM.",
    ),
    "history": ("proposals", "An account's stored proposals, newest first, with value, status and review notes."),
    "insights": (
        "proposals",
        "Which triggers and expansion types get approved, and which preceded won expansion deals.",
    ),
    "schema": ("proposals", "Print the proposal's JSON schema."),
    "eval": ("evals", "Replay fixture cases offline and score the whole pipeline."),
    "serve": ("serve", "Run the MCP server: stdio for Claude Desktop or Claude Code, or --http for remote clients."),
    "chat": ("chat", "Ask Claude about your book: it reaches the data only through the desk's MCP tools."),
    "web": ("web", "Serve the review desk: the book, account pages with charts, and the proposal review queue."),
    "backtest": (
        "backtest",
        "Replay the readiness score at past days and check it against the expansions won afterwards.",
    ),
}


def module_commands(module_name: str) -> dict[str, click.Command]:
    module = importlib.import_module(f"server.cli.{module_name}")
    return {command.name or "": command for command in module.COMMANDS}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; listing them imports nothing."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_HELP)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMAND_HELP:
            return module_commands(COMMAND_HELP[cmd_name][0]).get(cmd_name)
        for module_name in COMMAND_MODULES:  # a command the table does not list yet
            found = module_commands(module_name).get(cmd_name)
            if found is not None:
                return found
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(COMMAND_HELP.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="expansion-desk")
def main() -> None:
    """Find the accounts ready to expand and build the commercial case. Every proposal is a draft for a CSM."""


def run() -> None:
    """The `expansion-desk` script: `main`, and when a command left its book for the exit
    (`common.leave_for_exit`), the process ends once its output is flushed, without freeing the
    book object by object. Everything the command opened is closed by then; forked workers are joined."""
    try:
        main()
    except SystemExit as exc:
        common = sys.modules.get("server.cli.common")  # not imported by `--help`, which must stay quick
        if common is None or not common.book_left_for_exit():
            raise
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # the reader left (`rank --json | head`): nothing more to say
                stream.flush()
        os._exit(code or 0)
