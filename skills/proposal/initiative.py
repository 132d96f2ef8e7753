"""The initiative a proposal opens with when a grounded conversation signal asked for an unowned module."""

from __future__ import annotations

from skills.conversations.cited import ALIGNING, interaction_of, short_quote, signals_about
from skills.playbook.expansion_type import ExpansionChoice
from skills.playbook.readiness_score import module_mentions, unowned_modules
from skills.proposal.checks.figures import figures
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
        return None if next(figures(text), None) else text

    return Initiative(
        keyword=module.name if module else str(signal.catalog_id),
        module=module.name if module else str(signal.catalog_id),
        day=signal.day,
        channel=found.source if found else "call",
        quote=plain(short_quote(signal.quote)),
        title=(plain(found.title) or "") if found else "",
    )


def initiative(snapshot: AccountSnapshot, choice: ExpansionChoice, rules: Rules) -> Initiative | None:
    """The initiative the offer answers: a grounded request for the module when there is one, else the
    latest interaction naming an unowned module's keyword."""
    modules = {m for m, _ in unowned_modules(snapshot, rules.catalog) if choice.module_id in (None, m)}
    asked = asked_initiative(snapshot, modules, rules)
    if asked:
        return asked
    mentioned = module_mentions(snapshot, rules.catalog, rules.timing.trigger_window_days)
    named = [(i, kw, m) for m, pairs in mentioned if m in modules for i, kw in pairs]
    if not named:
        return None
    i, keyword, module_id = max(named, key=lambda n: (n[0].ts, n[0].interaction_id))
    module = rules.catalog.module(module_id)
    return Initiative(keyword=keyword, module=module.name if module else module_id, day=i.ts.date(), channel=i.source)
