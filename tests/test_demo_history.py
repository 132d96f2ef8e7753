"""The demo's history (connectors/demo/history.py): it adds a past worth backtesting without changing
today's answers, and arr_history.csv has expansions, contractions and churn."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.demo import generate_workspace
from connectors.demo.history import HISTORY_FROM_AGE
from server.cli import main
from server.desk import Desk
from server.settings import Settings

AS_OF = date(2026, 11, 23)
BUNDLED = Path(__file__).resolve().parent.parent / "connectors" / "demo_workspace"


def rows(ws: Path, name: str) -> list[dict[str, str]]:
    with (ws / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(ws: Path, name: str, kept: list[dict[str, str]]) -> None:
    with (ws / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(kept[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history")
    generate_workspace(out, accounts=52, seed=11, as_of=AS_OF)
    return out


def test_history_changes_no_current_day_answer(small: Path, tmp_path: Path) -> None:
    """Strip every history row (usage ≥ 150 days old, -H interactions and deals) and rank again:
    scores, tiers, offers, values, gates and blockers are the same."""
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in small.iterdir():
        (bare / f.name).write_bytes(f.read_bytes())
    cutoff = AS_OF - timedelta(days=HISTORY_FROM_AGE)
    write(
        bare,
        "usage_events.csv",
        [r for r in rows(small, "usage_events.csv") if date.fromisoformat(r["ts"][:10]) > cutoff],
    )
    for name, key in (("interactions.csv", "interaction_id"), ("deals.csv", "deal_id")):
        write(bare, name, [r for r in rows(small, name) if "-H" not in r[key]])
    assert len(rows(bare, "usage_events.csv")) < len(rows(small, "usage_events.csv"))

    def answers(ws: Path) -> dict[str, tuple[object, ...]]:
        ranked = Desk(Settings(workspace=ws)).rank()
        return {
            a.account_id: (a.score, a.tier, a.expansion_type, a.proposed_expansion_value, a.gate.passed, a.blockers)
            for a in ranked
        }

    assert answers(small) == answers(bare)


def test_history_rows_are_old_enough_and_after_signing(small: Path) -> None:
    signed = {r["account_id"]: date.fromisoformat(r["contract_start"]) for r in rows(small, "accounts.csv")}
    for r in rows(small, "interactions.csv"):
        if "-H" in r["interaction_id"]:
            day = date.fromisoformat(r["ts"][:10])
            assert (AS_OF - day).days >= HISTORY_FROM_AGE and day >= signed[r["account_id"]]
    won = [r for r in rows(small, "deals.csv") if "-H" in r["deal_id"] and r["stage"] == "won"]
    assert won and all(r["type"] == "expansion" and date.fromisoformat(r["close_date"]) < AS_OF for r in won)


def test_arr_history_has_expansion_contraction_and_churn() -> None:
    history: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows(BUNDLED, "arr_history.csv"):
        assert re.fullmatch(r"\d{4}-\d{2}", r["month"]) and int(r["arr"]) > 0
        history[r["account_id"]][r["month"]] = int(r["arr"])
    accounts = {r["account_id"]: r for r in rows(BUNDLED, "accounts.csv")}
    assert set(history) <= set(accounts)
    now = f"{AS_OF.year}-{AS_OF.month:02d}"
    churned = [a for a in accounts if a in history and now not in history[a]]
    assert churned  # no ARR this month: a missing month counts as 0 (SPEC §6)
    grew = [a for a, m in history.items() if now in m and min(m.values()) < m[now]]
    shrank = [a for a, m in history.items() if now in m and max(m.values()) > m[now]]
    assert grew and shrank
    assert all(history[a][now] == int(accounts[a]["arr"]) for a in history if now in history[a])


def test_the_bundled_demo_backtest_says_something() -> None:
    """What the README reads off the bundled demo: the score beats capacity alone and a random ranking,
    and the priority tier converts at least twice the base rate."""
    result = CliRunner().invoke(main, ["backtest", "--json", "--no-store"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert len(report["points"]) == 12 and report["observations"] > 1000
    assert 0.1 < report["base_rate"] < 0.4
    base = report["baselines"]
    assert report["auc"] > base["capacity"]["auc"] > base["random"]["auc"] - 0.05
    tiers = {t["tier"]: t for t in report["tiers"]}
    assert (
        tiers["priority"]["lift"] >= 2 and tiers["priority"]["rate"] > tiers["ready"]["rate"] > tiers["not_yet"]["rate"]
    )
    signals = {s["id"]: s for s in report["signals"]}
    assert signals["asked_unowned_features"]["lift"] > 1.5 > signals["aligned_initiative"]["lift"]
