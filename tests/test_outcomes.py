"""The outcomes loop of `insights`: which triggers and offers preceded won and lost expansion deals,
and which stored proposals a deal won or lost, on a hand-built workspace."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from server.desk import Desk
from server.outcomes import deal_outcomes
from server.proposals import build_proposal
from server.settings import Settings
from server.store import ProposalStore
from skills.snapshot import Deal
from tests.factory import AS_OF, account, ago, champion, event, interaction, outcome, write_workspace


def deal(deal_id: str, account_id: str, days: int, stage: str = "won", kind: str = "expansion") -> Deal:
    return Deal(
        deal_id=deal_id,
        account_id=account_id,
        name=f"{account_id} deal",
        amount=5000,
        stage=stage,  # type: ignore[arg-type]
        type=kind,  # type: ignore[arg-type]
        close_date=AS_OF - timedelta(days=days),
    )


def copy(record: Any, account_id: str, **update: Any) -> Any:
    return record.model_copy(update={"account_id": account_id, **update})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """ACC-1 wins 10 days ago; 30 days before that close an outcome had been reported 10 days earlier
    (trigger outcome_reported), offer professional_services. ACC-2 loses 20 days ago with nothing
    before it. ACC-4 wins 15 days ago with nothing before it. ACC-3 wins 5 days ago after a proposal
    made 75 days ago (gate passed then: champion engaged the day before; renewal then 175 days away:
    multi_year_renewal; an outcome 25 days before it; 28 days to the quarter's end).
    Open deals, new-business deals and deals closing after as_of are not outcomes."""
    ids = ("ACC-1", "ACC-2", "ACC-3", "ACC-4")
    accounts = [
        account(account_id=i, name=f"Company {i}", renewal_date=AS_OF + timedelta(days=100 if i == "ACC-3" else 300))
        for i in ids
    ]
    records: dict[str, list[Any]] = {
        "contacts.csv": [copy(champion(76 if i == "ACC-3" else 10), i, contact_id=f"C-{i}") for i in ids],
        "interactions.csv": [
            *(copy(interaction(20), i, interaction_id=f"I-{i}") for i in ids),
            copy(interaction(80), "ACC-3", interaction_id="I-ACC-3-early"),
        ],
        "outcomes.csv": [
            copy(outcome(50), "ACC-1"),
            copy(outcome(100), "ACC-3"),
            *(copy(outcome(400), i) for i in ("ACC-2", "ACC-4")),
        ],
        "deals.csv": [
            deal("D-1", "ACC-1", 10),
            deal("D-1-open", "ACC-1", -30, stage="open"),
            deal("D-1-new", "ACC-1", 300, kind="new"),
            deal("D-1-later", "ACC-1", -5),
            deal("D-2", "ACC-2", 20, stage="lost"),
            deal("D-3", "ACC-3", 5),
            deal("D-4", "ACC-4", 15),
        ],
        "tickets.csv": [],
    }
    events = [event(d, "u1", account_id=i) for d in (300, 2) for i in ids]
    root = write_workspace(tmp_path / "ws", accounts, events, records)
    return Settings(workspace=root, store_path=tmp_path / "proposals.sqlite3")


def test_triggers_and_offers_before_won_and_lost_deals(settings: Settings) -> None:
    desk, store = Desk(settings), ProposalStore.from_settings(settings)
    proposal = build_proposal(desk, "ACC-3", as_of=ago(75), drafter="template")
    assert proposal.kind == "expansion_proposal"
    before = store.save(proposal)
    store.save(build_proposal(desk, "ACC-2", drafter="template"))  # made after ACC-2's deal closed: not linked
    learned = deal_outcomes(desk, store, AS_OF)
    assert (learned.deals, learned.won, learned.lost, learned.won_without_trigger) == (4, 3, 1, 1)
    assert [(r.key, r.won, r.lost, r.win_rate) for r in learned.by_trigger] == [("outcome_reported", 2, 0, 1.0)]
    assert [(r.key, r.won, r.lost, r.win_rate) for r in learned.by_offer] == [
        ("professional_services", 2, 1, 0.667),
        ("multi_year_renewal", 1, 0, 1.0),
    ]
    assert [(p.proposal_id, p.account_id, p.deal_id, p.offer, p.outcome) for p in learned.proposals] == [
        (before, "ACC-3", "D-3", "multi_year_renewal", "won")
    ]


def test_insights_json_keeps_the_approval_rates_and_adds_the_outcomes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(settings.store_path))
    args = ["insights", "--workspace", str(settings.workspace), "--lead-days", "60"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"by_trigger", "by_expansion_type", "outcomes"}
    # no stored proposal: every deal is read 60 days before its close. D-1 (read 70 days ago): the outcome
    # 50 days ago had not happened yet; D-3 (read 65 days ago): the outcome 100 days ago is 35 days old
    assert data["outcomes"]["lead_days"] == 60 and data["outcomes"]["proposals"] == []
    assert data["outcomes"]["by_trigger"] == [{"key": "outcome_reported", "won": 1, "lost": 0, "win_rate": 1.0}]
    assert data["outcomes"]["won_without_trigger"] == 2
    text = " ".join(CliRunner().invoke(main, args).output.split())
    assert "Closed expansion deals: 4 (3 won, 1 lost)" in text and "Offer before the deal" in text
