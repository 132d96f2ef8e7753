"""`changes --from D1 --to D2` (SPEC §6) on a hand-built workspace: signals gained and lost with their
evidence, gate and blocker moves, unchanged accounts left out, and the identity
score_to − score_from = Σ gained − Σ lost with each side equal to `score --as-of` that day."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from tests.factory import AS_OF, account, ago, champion, event, interaction, outcome, ticket, write_workspace

D1, D2 = AS_OF - timedelta(days=7), AS_OF  # the default window: --to is the workspace's day, --from a week before


def for_account(record: Any, account_id: str, **update: Any) -> Any:
    return record.model_copy(update={"account_id": account_id, **update})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACC-1 moves: an outcome lands after D1 (+10 recent_outcome), the renewal enters the 60–120 day
    window (118 days at D2, 125 at D1: +5 renewal_window), and its NPS 9 ages out of 60 days
    (58 days old at D1, 65 at D2: −7 promoter). ACC-2 stays the same. ACC-3 keeps its score of 0 but
    its champion's last contact ages past 60 days (55 → 62: gate fails) and a P1 opens after D1."""
    accounts = [
        account(account_id="ACC-1", renewal_date=AS_OF + timedelta(days=118)),
        account(account_id="ACC-2", name="Beta Works"),
        account(account_id="ACC-3", name="Gamma Labs"),
    ]
    records: dict[str, list[Any]] = {
        "contacts.csv": [
            champion(10),
            for_account(champion(10), "ACC-2", contact_id="C-2"),
            for_account(champion(62), "ACC-3", contact_id="C-3"),
        ],
        "interactions.csv": [
            interaction(65, "How likely are you to recommend us?", source="nps", nps=9),
            interaction(20),
            for_account(interaction(20), "ACC-2", interaction_id="I-2"),
            for_account(interaction(20), "ACC-3", interaction_id="I-3"),
        ],
        "outcomes.csv": [
            outcome(300, description="120 hours saved in onboarding"),
            outcome(3, description="340 hours saved through automated workflows"),
            for_account(outcome(300), "ACC-2"),
            for_account(outcome(300), "ACC-3"),
        ],
        "tickets.csv": [for_account(ticket("P1", "open", days=3), "ACC-3")],
    }
    events = [event(d, "u1", account_id=a) for d in (200, 9, 2) for a in ("ACC-1", "ACC-2", "ACC-3")]
    return write_workspace(tmp_path_factory.mktemp("changes"), accounts, events, records)


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def changed(workspace: Path) -> dict[str, dict[str, Any]]:
    return {c["account_id"]: c for c in run("changes", "--workspace", str(workspace), "--json")}


def test_signals_gained_and_lost_with_their_evidence(changed: dict[str, dict[str, Any]]) -> None:
    c = changed["ACC-1"]
    assert (c["score_from"], c["score_to"], c["tier_from"], c["tier_to"]) == (7, 15, "not_yet", "candidate")
    assert [(s["id"], s["points"]) for s in c["signals_gained"]] == [("recent_outcome", 10), ("renewal_window", 5)]
    assert [(s["id"], s["points"]) for s in c["signals_lost"]] == [("promoter", 7)]
    gained = {s["id"]: s for s in c["signals_gained"]}
    assert gained["recent_outcome"]["evidence"] == f"340 hours saved through automated workflows (reported {ago(3)})"
    assert gained["renewal_window"]["evidence"].endswith("118 days away")
    assert c["signals_lost"][0]["evidence"] == f"latest NPS 9 on {ago(65)} (older than 60 days)"
    assert (c["gate_from"], c["gate_to"], c["blockers_from"], c["blockers_to"]) == (True, True, [], [])
    assert c["offer_from"] == c["offer_to"] == "multi_year_renewal"


def test_gate_and_blocker_moves_count_even_when_the_score_holds(changed: dict[str, dict[str, Any]]) -> None:
    c = changed["ACC-3"]
    assert (c["score_from"], c["score_to"], c["signals_gained"], c["signals_lost"]) == (0, 0, [], [])
    assert (c["gate_from"], c["gate_to"]) == (True, False)
    assert (c["blockers_from"], c["blockers_to"]) == ([], ["open_critical_ticket"])


def test_unchanged_accounts_are_left_out(changed: dict[str, dict[str, Any]]) -> None:
    assert set(changed) == {"ACC-1", "ACC-3"}


def test_each_side_is_score_as_of_that_day_and_the_points_add_up(
    workspace: Path, changed: dict[str, dict[str, Any]]
) -> None:
    for account_id, c in changed.items():
        gained = sum(s["points"] for s in c["signals_gained"])
        lost = sum(s["points"] for s in c["signals_lost"])
        assert c["score_to"] - c["score_from"] == gained - lost
        for day, side in ((D1, "from"), (D2, "to")):
            scored = run("score", account_id, "--workspace", str(workspace), "--as-of", day.isoformat(), "--json")
            assert (scored["score"], scored["tier"]) == (c[f"score_{side}"], c[f"tier_{side}"])
            assert scored["gate"]["passed"] == c[f"gate_{side}"] and scored["expansion_type"] == c[f"offer_{side}"]


def test_explicit_days_and_the_human_table(workspace: Path) -> None:
    same = run("changes", "--workspace", str(workspace), "--from", D1.isoformat(), "--to", D2.isoformat(), "--json")
    assert [c["account_id"] for c in same] == ["ACC-1", "ACC-3"]  # biggest score move first
    result = CliRunner().invoke(main, ["changes", "--workspace", str(workspace)])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "What changed" in text and "+10 recent_outcome" in text and "−7 promoter" in text


def test_from_must_be_before_to(workspace: Path) -> None:
    result = CliRunner().invoke(
        main, ["changes", "--workspace", str(workspace), "--from", D2.isoformat(), "--to", D1.isoformat()]
    )
    assert result.exit_code == 2 and "must be before" in result.output


def test_usage_evidence_is_dated_by_its_newest_event(workspace: Path) -> None:
    scored = run("score", "ACC-1", "--workspace", str(workspace), "--json")
    capacity = next(s for s in scored["signals"] if s["id"] == "capacity")
    assert (capacity["as_of_data"], capacity["stale"]) == (ago(2).isoformat(), False)
    earlier = run("score", "ACC-1", "--workspace", str(workspace), "--as-of", D1.isoformat(), "--json")
    capacity = next(s for s in earlier["signals"] if s["id"] == "capacity")
    assert capacity["as_of_data"] == ago(9).isoformat()  # the event 2 days before AS_OF is after D1
