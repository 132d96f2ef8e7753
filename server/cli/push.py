"""`review ID --push`: show what the push would write to the CRM, confirm, write (server/crm_push.py)."""

from __future__ import annotations

from pathlib import Path

import click

from server.cli.common import err, out
from server.crm_push import prepare, push
from server.settings import load_settings
from server.store import ProposalStore


def push_reviewed(proposal_id: str, config: Path | None, assume_yes: bool) -> None:
    """Print the field-by-field diff, ask (unless `assume_yes`), then push and print the CRM ids."""
    settings = load_settings(config)
    store = ProposalStore.from_settings(settings)
    prepared = prepare(settings, store, proposal_id)
    for line in prepared.plan.lines():
        out.print(line, highlight=False, markup=False)
    if not prepared.changes_anything:
        prepared.discard()
        out.print(f"proposal {proposal_id}: the CRM is already up to date; nothing written", highlight=False)
        return
    if not assume_yes and not click.confirm(f"Write this to {prepared.plan.crm}?", default=False, err=True):
        prepared.discard()
        err.print("not pushed: nothing was written")
        return
    receipt = push(prepared, store)
    out.print(receipt.summary(), highlight=False)
