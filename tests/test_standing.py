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
from skills.playbook.readiness_score import CHEAPEST_FIRST, SIGNAL_RULES
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
        assert_reaching(snapshot, desk.rules, full)


def assert_reaching(snapshot: AccountSnapshot, rules: Rules, full: AccountAssessment) -> None:
    """`readiness` with a bar: the full score and tier whenever the score reaches it; below it,
    None or still the right score (it stops only when the rules left cannot make up the gap)."""
    for at_least in (0, full.score - 1, full.score, full.score + 1, full.score + 9, TOTAL_WEIGHT + 1):
        reached = readiness(snapshot, rules, at_least)
        if full.score >= at_least:
            assert reached == (full.score, full.tier), (snapshot.account_id, at_least)
        else:
            assert reached in (None, (full.score, full.tier)), (snapshot.account_id, at_least)
    assert readiness(snapshot, rules, TOTAL_WEIGHT + 1) is None  # no rule needs to run


TOTAL_WEIGHT = sum(Rules().weights.model_dump().values())


def test_the_bar_skips_rules_for_most_of_a_book_whose_top_scores_high() -> None:
    """What the first cut of a top-20 ranking saves: with the demo book's 20th best score as the
    bar, most accounts are dropped before their last rules run."""
    desk = Desk(Settings())
    _, ids, snapshot_of = desk._book_parts(desk.as_of())
    scores = sorted((readiness(snapshot_of(i), desk.rules) or (0, ""))[0] for i in ids)
    bar = scores[-20]
    dropped = sum(readiness(snapshot_of(i), desk.rules, bar) is None for i in ids)
    below = sum(score < bar for score in scores)
    assert below / 2 < dropped <= below
    assert sorted(CHEAPEST_FIRST) == sorted(SIGNAL_RULES)  # every rule runs, once


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
    assert_reaching(snapshot, desk.rules, full)


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
