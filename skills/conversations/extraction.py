"""Grounding signals read from conversations: a signal is kept only when its quote is in the source text.

The rule (pure, checked in code, never trusted to the reader):
- The quote must appear verbatim in the interaction's text after both are whitespace-normalised
  (runs of spaces and line breaks read as one space) and typographic quotes and apostrophes are read
  as plain ones. The match is case-insensitive: transcription and quoting change a sentence's first
  letter, never its words. Words, their order and punctuation inside the quote must match.
- A quote of fewer than `MIN_QUOTE_WORDS` words grounds nothing ("yes", "sounds good").
- In a speaker-attributed transcript ("Name (Title, Company): words" per line, see `speaker_label`),
  a quote found only in lines of the vendor's own people ("…, internal)") is not the customer's
  signal: a rep offering a module is not the customer asking for it.
- A `catalog_id` not in the catalog (module id, tier id or tier feature) is cleared, not guessed:
  the signal stays, but it cannot stand for a module or feature.
Every dropped signal and every cleared id is counted, so the report says how much was discarded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from skills.catalog import Catalog, normalise_term
from skills.conversations.signal import ExtractedSignal, SignalClaim

MIN_QUOTE_WORDS = 3
INTERNAL = "internal"
DropReason = Literal["quote_not_in_text", "quote_too_short", "quote_from_internal_speaker"]
_LINE = re.compile(r"^(?P<label>[^:\n]{1,200}): (?P<said>.*)$", re.MULTILINE)
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


class DroppedSignal(BaseModel):
    model_config = ConfigDict(frozen=True)

    claim: SignalClaim
    interaction_id: str
    reason: DropReason


class Grounded(BaseModel):
    """The signals that passed, and what was discarded on the way."""

    model_config = ConfigDict(frozen=True)

    signals: tuple[ExtractedSignal, ...] = ()
    dropped: tuple[DroppedSignal, ...] = ()
    cleared_catalog_ids: tuple[str, ...] = ()

    def __add__(self, other: Grounded) -> Grounded:
        return Grounded(
            signals=self.signals + other.signals,
            dropped=self.dropped + other.dropped,
            cleared_catalog_ids=self.cleared_catalog_ids + other.cleared_catalog_ids,
        )


def normalise_text(text: str) -> str:
    """The form quotes are compared in: plain quotes, single spaces, lower case."""
    return " ".join(text.translate(_TYPOGRAPHIC).split()).lower()


def quote_in_text(quote: str, text: str) -> bool:
    needle = normalise_text(quote)
    return bool(needle) and needle in normalise_text(text)


def speaker_label(name: str, title: str = "", company: str = "") -> str:
    """How a transcript line names its speaker: "Pat Buyer (VP Ops, Acme)", "Jane AE (AE, internal)"."""
    details = ", ".join(d for d in (title, company) if d)
    return f"{name} ({details})" if details else name


def _only_internal(quote: str, text: str) -> bool:
    """True when the text is speaker-attributed and the quote is in internal speakers' lines only."""
    internal: list[str] = []
    external: list[str] = []
    for line in _LINE.finditer(text):
        side = internal if line.group("label").rstrip().endswith(f", {INTERNAL})") else external
        side.append(line.group("said"))
    if not internal:
        return False
    return any(quote_in_text(quote, said) for said in internal) and not any(
        quote_in_text(quote, said) for said in external
    )


def catalog_ids(catalog: Catalog) -> dict[str, str]:
    """Normalised id -> the catalog's own spelling, for module ids, tier ids and tier features."""
    ids = (
        [m.id for m in catalog.modules] + [t.id for t in catalog.tiers] + [f for t in catalog.tiers for f in t.features]
    )
    return {normalise_term(i): i for i in ids}


def ground(
    claims: Iterable[SignalClaim], source_text: str, *, interaction_id: str, day: date, catalog: Catalog
) -> Grounded:
    """Keep each claim whose quote is in `source_text`; catalog ids are mapped to the catalog's spelling."""
    known = catalog_ids(catalog)
    kept: list[ExtractedSignal] = []
    dropped: list[DroppedSignal] = []
    cleared: list[str] = []
    for claim in claims:
        reason: DropReason | None = None
        if len(claim.quote.split()) < MIN_QUOTE_WORDS:
            reason = "quote_too_short"
        elif not quote_in_text(claim.quote, source_text):
            reason = "quote_not_in_text"
        elif _only_internal(claim.quote, source_text):
            reason = "quote_from_internal_speaker"
        if reason is not None:
            dropped.append(DroppedSignal(claim=claim, interaction_id=interaction_id, reason=reason))
            continue
        catalog_id = None
        if claim.catalog_id:
            catalog_id = known.get(normalise_term(claim.catalog_id))
            if catalog_id is None:
                cleared.append(claim.catalog_id)
        kept.append(
            ExtractedSignal(
                kind=claim.kind,
                catalog_id=catalog_id,
                quote=" ".join(claim.quote.split()),
                speaker=claim.speaker.strip(),
                interaction_id=interaction_id,
                day=day,
            )
        )
    return Grounded(signals=tuple(kept), dropped=tuple(dropped), cleared_catalog_ids=tuple(cleared))
