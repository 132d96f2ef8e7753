"""The issue-14 scenario end to end: a QBR call comes from Gong (respx, Gong v2 bodies), Claude's reading is
replayed from a cassette, and a customer asking for a module they do not own moves the score and opens
the proposal in their own words, cited "Per Gong:"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import anthropic
import pytest
import respx
from sqlalchemy import create_engine

import server.desk
from connectors.composite import CompositeSource
from connectors.config import ConnectorsConfig
from connectors.workspace import Workspace
from server.cli.render import json_text
from server.desk import Desk
from server.drafting.extraction import ClaudeReader, SignalExtraction
from server.drafting.template import template_draft
from server.evals.cassette import Exchange, RecordedResponse, Replay
from server.proposals import assessed, build_proposal
from server.settings import ExtractionSettings, Settings
from server.store import ProposalStore
from skills.proposal.assemble import assemble
from skills.proposal.checks import check_draft
from skills.proposal.schema import Proposal
from skills.rules import Rules
from tests.connectors.test_gong import AE, CALLS, ENV, TRANSCRIPT, call, calls_page, party, transcript, transcripts_page
from tests.factory import AS_OF, account, champion, event, outcome, write_workspace

ASK = "Finance wants board-ready analytics packs out of the tool, can we add that module?"
PAT = party("56825452554557", "Pat Buyer", "pat@acme.example", "VP Ops", "External", "6432345678555530068")
QBR = transcript(
    "7782342274025937895",
    ("6432345678555530067", ["Thanks for joining.", "How is the rollout going?"]),
    ("6432345678555530068", ["Really well.", ASK]),
    ("6432345678555530067", ["Great, I will follow up with details."]),
)
CLAUDE_ANSWER = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
    "content": [{"type": "tool_use", "id": "toolu_01", "name": "record_signals", "input": {"signals": [
        {"kind": "module_request", "catalog_id": "analytics", "quote": ASK, "speaker": "Pat Buyer"},
        {"kind": "need", "catalog_id": None, "quote": "Great, I will follow up", "speaker": "Jane AE"},
        {"kind": "initiative", "catalog_id": "analytics", "quote": "Finance is launching board packs in Q1",
         "speaker": "Pat Buyer"},
    ]}}],
    "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 1200, "output_tokens": 90},
}  # fmt: skip
RULES = Rules()


@pytest.fixture
def desk_parts(tmp_path: Path) -> Iterator[tuple[Settings, CompositeSource]]:
    events = [event(d, f"u{n}") for n in range(20) for d in (2, 9, 200)]
    records = {"contacts.csv": [champion()], "outcomes.csv": [outcome(20)], "tickets.csv": [], "deals.csv": []}
    ws = Workspace(write_workspace(tmp_path / "ws", [account()], events, records), RULES)
    settings = Settings(workspace=ws.path, store_path=tmp_path / "store.sqlite3")
    config = ConnectorsConfig.model_validate({"sources": {"conversations": "gong"}})
    with respx.mock(assert_all_called=False) as api:
        api.post(CALLS).respond(
            200, json=calls_page([call("7782342274025937895", account_id="ACC-1", parties=[AE, PAT])])
        )
        api.post(TRANSCRIPT).respond(200, json=transcripts_page(QBR))
        yield settings, CompositeSource(config, RULES, ws, environ=ENV, sleep=lambda s: None)
    ws.close()


def replayed_extraction(tmp_path: Path) -> SignalExtraction:
    replay = Replay([Exchange(response=RecordedResponse(status=200, body=CLAUDE_ANSWER))])
    reader = ClaudeReader(
        ExtractionSettings(), http_client=anthropic.DefaultHttpxClient(transport=replay), api_key="replayed-offline"
    )
    return SignalExtraction(reader, ProposalStore(create_engine(f"sqlite:///{tmp_path / 'cache.sqlite3'}")), RULES)


def proposal_of(desk: Desk) -> Proposal:
    return build_proposal(desk, "ACC-1", as_of=AS_OF, drafter="template")


def test_a_qbr_request_for_an_unowned_module_gains_aligned_initiative_cited_per_gong(
    desk_parts: tuple[Settings, CompositeSource], tmp_path: Path
) -> None:
    settings, source = desk_parts
    offline = proposal_of(Desk(settings, source))
    assert not next(s for s in offline.signals if s.id == "aligned_initiative").met  # no catalog keyword was said
    assert ASK not in offline.customer_summary.opening

    extraction = replayed_extraction(tmp_path)
    proposal = proposal_of(Desk(settings, source, extraction=extraction))
    aligned = next(s for s in proposal.signals if s.id == "aligned_initiative")
    asked = next(s for s in proposal.signals if s.id == "asked_unowned_features")
    assert aligned.met and asked.met and proposal.score == offline.score + aligned.weight + asked.weight
    assert f"{aligned.source.citation} {aligned.evidence}" == (
        f'Per Gong: 2026-11-03 Acme QBR: "{ASK}" (Pat Buyer) — analytics module not owned'
    )
    assert [(d.reason, d.claim.speaker) for d in extraction.stats.grounded.dropped] == [
        ("quote_from_internal_speaker", "Jane AE"),  # the rep's own words are not the customer's need
        ("quote_not_in_text", "Pat Buyer"),  # the invented "board packs in Q1" quote
    ]
    assert proposal.expansion_type == "cross_sell"
    assert proposal.customer_summary.opening.startswith(f'You said on our call on 2026-11-03 (Acme QBR): "{ASK}"')
    assert any(t.id == "initiative_mentioned" and t.detail.startswith("2026-11-03 Acme QBR") for t in proposal.triggers)
    assert proposal.drafted_by.drafter == "template" and proposal.drafted_by.fallback_reason is None


def test_the_quoted_opening_passes_the_draft_checks(
    desk_parts: tuple[Settings, CompositeSource], tmp_path: Path
) -> None:
    settings, source = desk_parts
    desk = Desk(settings, source, extraction=replayed_extraction(tmp_path))

    assessment, snapshot, choice = assessed(desk, "ACC-1", None, AS_OF)
    facts = assemble(assessment, snapshot, choice, desk.rules).facts
    assert facts.initiative is not None and facts.initiative.quote == ASK
    assert check_draft(template_draft(facts), facts).failures == ()


def test_a_book_read_with_the_signal_reader_is_ranked_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader holds HTTP and cache connections that a forked process must not share."""
    parts_asked: list[int] = []

    def in_one_process(work: Callable[[int], object], parts: int) -> list[object]:
        parts_asked.append(parts)
        return [work(k) for k in range(parts)]

    monkeypatch.setattr(server.desk, "in_parallel", in_one_process)
    root = write_workspace(tmp_path / "ws", [account(), account(account_id="ACC-2", name="Beta")], [], {})
    encode = json_text(["account_id"], None)
    without = Desk(Settings(workspace=root))
    assert len(list(without.ranked_text(encode, AS_OF, jobs=4))) == 2 and parts_asked == [2]
    reading = Desk(Settings(workspace=root), extraction=replayed_extraction(tmp_path))
    ranked = [json.loads(text)["account_id"] for text in reading.ranked_text(encode, AS_OF, jobs=4)]
    assert sorted(ranked) == ["ACC-1", "ACC-2"] and parts_asked == [2, 1]
