"""The desk keeps the ranked book per day while the workspace files are unchanged (a warm
`rank_accounts` only filters), and reloads the workspace when a file changes."""

from __future__ import annotations

from pathlib import Path

from server.desk import Desk
from server.settings import Settings
from tests.factory import account, write_workspace


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
