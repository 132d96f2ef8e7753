"""The desk keeps the ranked book per day while the workspace files are unchanged (a warm
`rank_accounts` only filters), and reloads the workspace when a file changes."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from connectors.workspace import Reading, Workspace, demo_workspace_path
from server.cli.render import json_text
from server.desk import Desk
from server.settings import Settings
from skills.assessment import AccountAssessment, assess, peer_metrics
from skills.proposal.benchmarks import SegmentPeers
from skills.rules import Rules
from skills.snapshot import AccountSnapshot
from tests.factory import account, write_workspace

RULES = Rules()


def test_a_warm_rank_reuses_the_book_and_a_changed_file_reloads_it(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", [account(), account(account_id="ACC-2", name="Beta")], [])
    desk = Desk(Settings(workspace=root))
    first = desk.rank()
    assert desk.rank()[0] is first[0]  # the same assessment objects: nothing recomputed
    assert [a.account_id for a in desk.rank(limit=1)] == [first[0].account_id]
    assert desk.assess(first[0].account_id) is first[0]  # score_account on a warm server: no recomputation
    assert desk.assess(first[0].account_id.lower()) == first[0]  # other spellings take the computed path
    accounts = (root / "accounts.csv").read_text(encoding="utf-8")
    (root / "accounts.csv").write_text(accounts.replace("Beta", "Beta Renamed"), encoding="utf-8")
    names = {a.name for a in desk.rank()}
    assert "Beta Renamed" in names and "Beta" not in names
    assert desk.assess("ACC-2").name == "Beta Renamed"


def test_filters_apply_to_the_cached_book(tmp_path: Path) -> None:
    root = write_workspace(
        tmp_path / "ws", [account(), account(account_id="ACC-2", name="Beta", segment="enterprise")], []
    )
    desk = Desk(Settings(workspace=root))
    total, rows = desk.ranked(segment="enterprise")
    assert total == 1 and [a.account_id for a in rows] == ["ACC-2"]
    total, rows = desk.ranked(csm_owner=desk.rank()[0].csm_owner.upper())
    assert total == 2 and len(list(rows)) == 2


def test_a_cold_score_reads_one_activity_scan_and_agrees_with_the_ranked_book() -> None:
    """A cold `score` builds the segment peers from an activity-only scan, not the whole book's
    snapshots; its assessments must equal the ranked book's, benchmarks included."""
    ranked = {a.account_id: a for a in Desk(Settings()).rank()}
    cold = Desk(Settings())
    day = cold.as_of()
    workspace = cold.source
    assert isinstance(workspace, Workspace)
    from_scan = workspace.peer_metrics(day)
    from_snapshots = [peer_metrics(s.account, s.usage) for s in workspace.snapshots(day)]
    assert from_scan == from_snapshots and len(from_scan) == len(ranked)
    fresh = Desk(Settings())
    for account_id in sorted(ranked)[::8]:
        assert fresh.assess(account_id) == ranked[account_id]
    assert any(a.benchmarks for a in ranked.values())


def test_ranked_text_parks_each_account_and_writes_them_in_rank_order() -> None:
    """The one-shot path (nothing kept, each account encoded as made) gives what the kept book gives."""
    encode = json_text(None, None)
    kept = Desk(Settings())
    for filters in ({}, {"segment": "enterprise", "limit": 7}, {"tier": "ready"}, {"limit": 1}):
        expected = [encode(a) for a in kept.ranked(**filters)[1]]  # type: ignore[arg-type]
        one_shot = Desk(Settings())
        assert list(one_shot.ranked_text(encode, **filters)) == expected  # type: ignore[arg-type]
        assert not one_shot._books  # nothing kept on the one-shot path
    with pytest.raises(ValueError, match="limit 0 must be at least 1"):
        list(kept.ranked_text(encode, limit=0))
    first_three = [encode(a) for a in kept.rank(limit=3)]
    assert list(kept.ranked_text(encode, limit=3)) == first_three  # the kept book, encoded


def test_a_rank_reading_prepares_the_books_usage_while_the_tables_load() -> None:
    """`rank` opens the workspace with the whole book in mind: the usage is aggregated on DuckDB's
    threads during loading, for the export day (or the day asked), and the ranking is unchanged."""
    day = Desk(Settings()).as_of()
    prepared = Workspace(demo_workspace_path(), RULES, reading=Reading(whole_book=True))
    assert prepared._book_usage is not None and prepared._book_usage[0] == day
    plain = Workspace(demo_workspace_path(), RULES)
    assert plain._book_usage is None
    assert prepared.book_usage(day) == plain.book_usage(day)
    other = day - timedelta(days=7)
    asked = Workspace(demo_workspace_path(), RULES, reading=Reading(whole_book=True, as_of=other))
    assert asked._book_usage is not None and asked._book_usage[0] == other
    assert asked.book_usage(other) == plain.book_usage(other)
    beyond = Workspace(demo_workspace_path(), RULES, reading=Reading(whole_book=True, as_of=date(9999, 12, 31)))
    assert beyond._book_usage is None  # a day the data do not cover is left for the desk to refuse


def test_a_whole_book_aggregate_gives_back_duckdbs_thread_memory_and_keeps_both_threads() -> None:
    workspace = Workspace(demo_workspace_path(), RULES)
    assert workspace.usage is not None and workspace.default_as_of is not None
    day = workspace.default_as_of - timedelta(days=7)
    account_id = workspace.accounts()[0].account_id
    alone = workspace.snapshot(account_id, day)  # scoped query, before any whole-book aggregate
    workspace.book_usage(day)
    assert workspace.usage.run("SELECT current_setting('threads')", {})[0][0] == 2
    assert workspace.snapshot(account_id, day) == alone


def test_a_cold_book_does_not_hold_up_other_calls_and_is_ranked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server ranking a cold book still answers a score meanwhile; a second ranking of the same day
    waits for the first one's book instead of ranking it again."""
    desk = Desk(Settings())
    day = desk.as_of()
    first_held, release = threading.Event(), threading.Event()
    assessed: list[str] = []

    def held(snapshot: AccountSnapshot, peers: SegmentPeers, rules: Rules) -> AccountAssessment:
        assessed.append(snapshot.account_id)
        if len(assessed) == 1:  # the book's first account: the ranking stays under way until released
            first_held.set()
            release.wait(30)
        return assess(snapshot, peers, rules)

    monkeypatch.setattr("server.desk.assess", held)
    books: list[list[AccountAssessment]] = []
    rankers = [threading.Thread(target=lambda: books.append(desk.book(day))) for _ in range(2)]
    rankers[0].start()
    assert first_held.wait(30)
    rankers[1].start()
    scored: list[AccountAssessment] = []
    scorer = threading.Thread(target=lambda: scored.append(desk.assess("ACC-00007")))
    scorer.start()
    scorer.join(30)
    assert scored and not release.is_set()  # answered while the book was still being ranked
    release.set()
    for ranker in rankers:
        ranker.join(30)
    assert len(books) == 2 and books[0] is books[1]  # one ranking, shared
    assert len(assessed) == len(books[0]) + 1  # the book once, plus the one score
    assert desk.assess("ACC-00007") == scored[0]  # now from the kept book, the same assessment
