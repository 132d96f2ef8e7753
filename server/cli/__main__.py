"""`python -m server.cli`: the same as the `expansion-desk` script."""

from server.cli.app import run

run()
