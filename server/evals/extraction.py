"""Extraction eval cases: Claude's recorded reading of one conversation, grounded, against hand-labelled signals.

A case folder holds `case.json` ({"kind": "extraction", "transcript": "transcript.txt", "channel",
"title", "day"}), the conversation text, `cassette.json` (the recorded /v1/messages answer) and
`expected_signals.json` ({"signals": [{"kind", "catalog_id", "quote"}], "dropped": n}). The case
passes when the grounded signals are exactly the labelled ones (one to one: same kind, same catalog
id, and one quote containing the other after normalisation) and, when given, as many claims were
dropped. Precision and recall per signal kind are summed over the suite in the report.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import anthropic
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.errors import DataError, DataIssue
from server.drafting.extraction import ClaudeReader, SignalExtraction
from server.evals.cassette import Recorder, Replay, load_cassette, save_cassette
from server.settings import Settings
from skills.conversations.extraction import ground, normalise_text
from skills.conversations.signal import SIGNAL_KINDS, ExtractedSignal, SignalClaim, SignalKind
from skills.snapshot import Interaction

CASSETTE = "cassette.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractionCase(_Strict):
    kind: Literal["extraction"]
    description: str = ""
    transcript: str = "transcript.txt"
    channel: Literal["call", "email", "qbr", "chat", "nps"] = "call"
    title: str = ""
    provider: str = "gong"
    day: date


class LabelledSignal(_Strict):
    kind: SignalKind
    catalog_id: str | None = None
    quote: str


class ExpectedSignals(_Strict):
    signals: list[LabelledSignal]
    dropped: int | None = None
    fallback: bool = False


class KindCounts(BaseModel):
    kind: SignalKind
    expected: int = 0
    found: int = 0
    matched: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None


class ExtractionScore(BaseModel):
    by_kind: list[KindCounts] = Field(default_factory=list)
    dropped: int = 0
    cleared_catalog_ids: int = 0
    fallback: bool = False
    unexpected: list[str] = Field(default_factory=list)
    missed: list[str] = Field(default_factory=list)


class MemoryCache:
    """A fresh cache per case, so every case reads its cassette."""

    def __init__(self) -> None:
        self.kept: dict[str, list[SignalClaim]] = {}

    def cached_claims(self, key: str) -> list[SignalClaim] | None:
        return self.kept.get(key)

    def keep_claims(self, key: str, model: str, claims: list[SignalClaim]) -> None:
        self.kept[key] = claims


def is_extraction_case(folder: Path) -> bool:
    """A case.json whose "kind" is "extraction" (its other fields are validated when the case runs)."""
    try:
        data = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == "extraction"


def _read(folder: Path, name: str, model: type[BaseModel]) -> Any:
    file = folder / name
    try:
        return model.model_validate_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError([DataIssue(file=str(file), message="not found: every extraction case needs it")]) from exc
    except ValidationError as exc:
        raise DataError(
            [DataIssue(file=f"{folder.name}/{name}", column=".".join(str(p) for p in e["loc"]), message=e["msg"])
             for e in exc.errors()]
        ) from exc  # fmt: skip


def _matches(label: LabelledSignal, found: ExtractedSignal) -> bool:
    want, got = normalise_text(label.quote), normalise_text(found.quote)
    return label.kind == found.kind and label.catalog_id == found.catalog_id and (want in got or got in want)


def score(expected: list[LabelledSignal], found: tuple[ExtractedSignal, ...]) -> ExtractionScore:
    """One-to-one matching of labelled and found signals, counted per kind."""
    counts = {k: KindCounts(kind=k) for k in SIGNAL_KINDS}
    left = list(found)
    missed = []
    for label in expected:
        counts[label.kind].expected += 1
        hit = next((f for f in left if _matches(label, f)), None)
        if hit is None:
            missed.append(f"{label.kind}: {label.quote}")
            continue
        left.remove(hit)
        counts[label.kind].matched += 1
    for f in found:
        counts[f.kind].found += 1
    return ExtractionScore(
        by_kind=[c for c in counts.values() if c.expected or c.found],
        unexpected=[f"{f.kind}: {f.quote}" for f in left],
        missed=missed,
    )


def _reader(settings: Settings, folder: Path, record: bool) -> tuple[ClaudeReader, Recorder | None]:
    if record:
        recorder = Recorder()
        return ClaudeReader(settings.extraction, http_client=anthropic.DefaultHttpxClient(transport=recorder)), recorder
    path = folder / CASSETTE
    if not path.is_file():
        raise DataError([DataIssue(file=str(path), message="an extraction case needs a cassette; record one")])
    client = anthropic.DefaultHttpxClient(transport=Replay(load_cassette(path)))
    return ClaudeReader(settings.extraction, http_client=client, api_key="replayed-offline", sleep=lambda _: None), None


def run_extraction_case(
    folder: Path, settings: Settings, record: bool = False
) -> tuple[ExtractionScore, ExpectedSignals]:
    """Read the case's conversation through its cassette, ground the answer, and score it."""
    case: ExtractionCase = _read(folder, "case.json", ExtractionCase)
    expected: ExpectedSignals = _read(folder, "expected_signals.json", ExpectedSignals)
    try:
        text = (folder / case.transcript).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError([DataIssue(file=str(folder / case.transcript), message="conversation text not found")]) from exc
    interaction = Interaction(
        interaction_id=folder.name, account_id="eval", ts=datetime.combine(case.day, time(15)),
        source=case.channel, text=text, title=case.title, provider=case.provider,
    )  # fmt: skip
    reader, recorder = _reader(settings, folder, record)
    catalog = settings.rules.catalog
    claims = SignalExtraction(reader, MemoryCache(), settings.rules).claims(interaction, catalog)
    if recorder is not None:
        save_cassette(folder / CASSETTE, recorder.exchanges)
    grounded = ground(claims or [], text, interaction_id=folder.name, day=case.day, catalog=catalog)
    result = score(expected.signals, grounded.signals).model_copy(
        update={
            "dropped": len(grounded.dropped),
            "cleared_catalog_ids": len(grounded.cleared_catalog_ids),
            "fallback": claims is None,
        }
    )
    return result, expected


class KindRate(BaseModel):
    """Precision and recall of one signal kind over every extraction case (None when nothing to divide)."""

    kind: SignalKind
    expected: int
    found: int
    matched: int
    precision: float | None
    recall: float | None


def kind_rates(scores: list[ExtractionScore]) -> list[KindRate]:
    total = {k: KindCounts(kind=k) for k in SIGNAL_KINDS}
    for s in scores:
        for c in s.by_kind:
            t = total[c.kind]
            t.expected, t.found, t.matched = t.expected + c.expected, t.found + c.found, t.matched + c.matched
    return [
        KindRate(
            kind=c.kind,
            expected=c.expected,
            found=c.found,
            matched=c.matched,
            precision=None if c.precision is None else round(c.precision, 4),
            recall=None if c.recall is None else round(c.recall, 4),
        )
        for c in total.values()
        if c.expected or c.found
    ]
