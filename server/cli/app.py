"""`expansion-desk`: the command line on the same core as the MCP server.

One module per command group beside this one; each exports `COMMANDS`, added to the group here.
"""

from __future__ import annotations

import click

from server.cli import backtest, book, chat, data, evals, portfolio, proposals, serve, web


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="expansion-desk")
def main() -> None:
    """Find the accounts ready to expand and build the commercial case. Every proposal is a draft for a CSM."""


for module in (book, data, portfolio, proposals, evals, serve, chat, web, backtest):
    for command in module.COMMANDS:
        main.add_command(command)
