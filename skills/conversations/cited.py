"""Extracted signals as calculator evidence: which signals count for a rule, and how their line cites them.

A line reads "<day> <call title>: \"<quote>\" (<speaker>)" under the interaction's provider citation
("Per Gong:"), or "Per conversations:" for a CSV note. The quote stays in double quotes: quoted
customer text is data and grounds no figure in a draft.
"""

from __future__ import annotations

from skills.conversations.signal import ExtractedSignal, SignalKind
from skills.days import window_start
from skills.evidence import day
from skills.snapshot import AccountSnapshot, Interaction, Source

ASKING: frozenset[SignalKind] = frozenset({"feature_request", "module_request"})
ALIGNING: frozenset[SignalKind] = frozenset(
    {"need", "feature_request", "module_request", "expansion_interest", "initiative"}
)
QUOTE_LIMIT = 200


def signals_about(
    snapshot: AccountSnapshot, catalog_ids: set[str], kinds: frozenset[SignalKind], days: int
) -> list[ExtractedSignal]:
    """Signals of `kinds` about one of `catalog_ids` held in the last `days` days, newest first."""
    start, end = window_start(snapshot.as_of, days), snapshot.as_of
    found = [
        s
        for s in snapshot.extracted_signals
        if s.kind in kinds and s.catalog_id in catalog_ids and start <= s.day <= end
    ]
    return sorted(found, key=lambda s: (s.day, s.interaction_id, s.quote), reverse=True)


def interaction_of(snapshot: AccountSnapshot, signal: ExtractedSignal) -> Interaction | None:
    return next((i for i in snapshot.interactions if i.interaction_id == signal.interaction_id), None)


def short_quote(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def cited(snapshot: AccountSnapshot, signal: ExtractedSignal) -> tuple[str, Source]:
    """The evidence text for `signal` and the source it is cited as."""
    interaction = interaction_of(snapshot, signal)
    title = f" {interaction.title}" if interaction and interaction.title else ""
    source = interaction.cited_as if interaction else Source.conversations
    speaker = f" ({signal.speaker})" if signal.speaker else ""
    return f'{day(signal.day)}{title}: "{short_quote(signal.quote)}"{speaker}', source
