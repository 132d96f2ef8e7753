"""The initiative a proposal opens with when a grounded conversation signal asked for an unowned module."""

from __future__ import annotations

from skills.conversations.cited import ALIGNING, interaction_of, short_quote, signals_about
from skills.proposal.checks import figures_in
from skills.proposal.schema import Initiative
from skills.rules import Rules
from skills.snapshot import AccountSnapshot


def asked_initiative(snapshot: AccountSnapshot, modules: set[str], rules: Rules) -> Initiative | None:
    """The latest grounded request for an unowned module; its quote is repeated only when it holds no figure
    (drafts may print only figures the evidence states outside customer quotes)."""
    asked = signals_about(snapshot, modules, ALIGNING, rules.timing.trigger_window_days)
    if not asked:
        return None
    signal, module = asked[0], rules.catalog.module(asked[0].catalog_id or "")
    found = interaction_of(snapshot, signal)

    def plain(text: str) -> str | None:
        figures = figures_in(text)
        return None if figures.numbers or figures.dates else text

    return Initiative(
        keyword=module.name if module else str(signal.catalog_id),
        module=module.name if module else str(signal.catalog_id),
        day=signal.day,
        channel=found.source if found else "call",
        quote=plain(short_quote(signal.quote)),
        title=(plain(found.title) or "") if found else "",
    )
