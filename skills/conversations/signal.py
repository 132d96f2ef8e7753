"""The shape of a signal read from a conversation; imported by the snapshot contract, so it imports nothing of ours."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SignalKind = Literal[
    "need",
    "feature_request",
    "module_request",
    "expansion_interest",
    "initiative",
    "competitor",
    "risk",
]
SIGNAL_KINDS: tuple[SignalKind, ...] = (
    "need",
    "feature_request",
    "module_request",
    "expansion_interest",
    "initiative",
    "competitor",
    "risk",
)
KIND_MEANINGS: dict[SignalKind, str] = {
    "need": "a need or pain the customer describes",
    "feature_request": "a request for a feature (often one of a higher tier)",
    "module_request": "a request for, or interest in, a product module",
    "expansion_interest": "other departments, teams or regions wanting access",
    "initiative": "a business initiative or project the customer is starting",
    "competitor": "a competitor or alternative tool named",
    "risk": "a risk: budget cut, re-organisation, champion leaving, churn talk",
}


class SignalClaim(BaseModel):
    """One signal as the reader (Claude) states it: what kind, which catalog item, and the exact words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SignalKind
    catalog_id: str | None = Field(
        description="the catalog module id, tier id or tier feature the signal is about; null when none fits"
    )
    quote: str = Field(description="the speaker's exact words, copied verbatim from the transcript")
    speaker: str = Field(description="who said it, as the transcript names them")


class ExtractionAnswer(BaseModel):
    """The forced tool call's input: every signal in one text (an empty list when there is none)."""

    model_config = ConfigDict(extra="forbid")

    signals: list[SignalClaim]


class ExtractedSignal(SignalClaim):
    """A grounded signal: its quote was found in the text of interaction `interaction_id`, held on `day`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    interaction_id: str
    day: date
