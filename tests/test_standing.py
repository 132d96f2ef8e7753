"""A ranking that prints only its top accounts orders the book by `readiness` and `standing` and
assesses only those: their score, tier and order must be the full assessment's for every account, or
the top would be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.workspace import Reading
from server.cli.render import json_text
from server.desk import Desk
from server.evals.extraction import is_extraction_case
from server.evals.harness import case_desk, load_case
from server.settings import Settings
from skills.assessment import AccountAssessment, assess, rank_order, readiness, standing
from skills.proposal.benchmarks import SegmentPeers
from skills.rules import Rules
from skills.snapshot import AccountSnapshot

CASES = Path(__file__).parent / "eval_cases"


def test_standing_is_the_assessments_order_and_tier_for_every_demo_account() -> None:
    desk = Desk(Settings())
    day = desk.as_of()
    peers, ids, snapshot_of = desk._book_parts(day)
    assert len(ids) == 200
    for account_id in ids:
        snapshot = snapshot_of(account_id)
        full = assess(snapshot, peers, desk.rules)
        assert standing(snapshot, desk.rules) == rank_order(full), account_id
        assert readiness(snapshot, desk.rules) == (full.score, full.tier)


@pytest.mark.parametrize(
    "folder",
    sorted(p for p in CASES.iterdir() if (p / "case.json").is_file() and not is_extraction_case(p)),
    ids=lambda p: p.name,
)
def test_standing_agrees_with_every_eval_boundary_case(folder: Path) -> None:
    case, _ = load_case(folder)
    desk = case_desk(case, folder, Settings())
    snapshot = desk.snapshot(case.account_id, case.as_of)
    full = desk.assess(case.account_id, case.as_of)
    assert standing(snapshot, desk.rules) == rank_order(full)
    assert readiness(snapshot, desk.rules) == (full.score, full.tier)


@pytest.mark.parametrize(
    "filters",
    [
        {"limit": 1},
        {"limit": 20},
        {"limit": 37},  # a cut inside a run of equal scores: the proposed value decides who is in
        {"segment": "enterprise", "limit": 5},
        {"tier": "ready", "limit": 3},
        {"csm_owner": "PRIYA SHAH", "limit": 2},
        {"tier": "priority", "limit": 60},  # over a quarter of the book: the whole book is assessed
    ],
)
def test_a_one_ranking_desk_prints_what_the_kept_book_prints_and_keeps_nothing(filters: dict) -> None:  # type: ignore[type-arg]
    kept = Desk(Settings())
    total, rows = kept.ranked(**filters)
    expected = list(rows)
    one_ranking = Desk(Settings(), reading=Reading(whole_book=True))
    got_total, got = one_ranking.ranked(**filters)
    assert (got_total, list(got)) == (total, expected)
    encode = json_text(None, None)
    assert list(Desk(Settings(), reading=Reading(whole_book=True)).ranked_text(encode, **filters)) == [
        encode(a) for a in expected
    ]
    assert not one_ranking._books


def test_the_top_path_assesses_only_the_accounts_it_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    assessed: list[str] = []

    def counting(snapshot: AccountSnapshot, peers: SegmentPeers, rules: Rules) -> AccountAssessment:
        assessed.append(snapshot.account_id)
        return assess(snapshot, peers, rules)

    monkeypatch.setattr("server.desk.assess", counting)
    desk = Desk(Settings(), reading=Reading(whole_book=True))
    _, rows = desk.ranked(limit=5, progress=None)
    printed = [a.account_id for a in rows]
    assert assessed == printed and len(printed) == 5
