"""The `rank`, `score` and `demo` commands as a CSM runs them: JSON shape, ordering, filters, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.workspace import demo_workspace_path
from server.cli import main
from skills.catalog import EXPANSION_TYPES

SCORE_KEYS = {
    "account_id",
    "as_of",
    "score",
    "tier",
    "signals",
    "utilisation",
    "active_users_30d",
    "expansion_type",
    "proposed_expansion_value",
    "total_proposed_arr",
    "gate",
    "blockers",
    "triggers",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def ranked() -> list[dict]:  # type: ignore[type-arg]
    code, out = run("rank", "--json")
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


def test_rank_json_is_best_first_with_the_score_shape(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    assert len(ranked) == 200 and set(ranked[0]) >= SCORE_KEYS
    keys = [(-a["score"], -a["proposed_expansion_value"], a["account_id"]) for a in ranked]
    assert keys == sorted(keys)
    assert {a["tier"] for a in ranked} == {"priority", "ready", "candidate", "not_yet"}
    assert {a["expansion_type"] for a in ranked} == set(EXPANSION_TYPES)
    for a in ranked:
        assert a["total_proposed_arr"] == pytest.approx(a["current_arr"] + a["proposed_expansion_value"])
        assert {s["id"] for s in a["signals"]} >= {"capacity", "promoter", "company_growth"}
        assert all({"id", "points", "met", "evidence", "source"} <= set(s) for s in a["signals"])
        assert a["score"] == sum(s["points"] for s in a["signals"])


def test_rank_filters(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    code, out = run("rank", "--json", "--segment", "enterprise", "--tier", "priority", "--limit", "3")
    rows = json.loads(out)
    expected = [a["account_id"] for a in ranked if a["segment"] == "enterprise" and a["tier"] == "priority"][:3]
    assert code == 0 and [a["account_id"] for a in rows] == expected
    csm = ranked[0]["csm_owner"]
    code, out = run("rank", "--json", "--csm", csm.upper())
    assert {a["csm_owner"] for a in json.loads(out)} == {csm}


def test_rank_table_names_accounts(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    code, out = run("rank", "--limit", "5")
    assert code == 0 and ranked[0]["name"] in out and "Expansion-ready accounts" in out


def test_score_json_matches_rank_entry(ranked: list[dict]) -> None:  # type: ignore[type-arg]
    code, out = run("score", "ACC-00001", "--json")
    assert code == 0
    one = json.loads(out)
    assert one == next(a for a in ranked if a["account_id"] == "ACC-00001")
    assert one["as_of"] == "2026-11-23"  # the demo's export day, not the wall clock


def test_score_as_of_changes_the_evaluation_day() -> None:
    code, out = run("score", "ACC-00001", "--json", "--as-of", "2026-09-01")
    assert code == 0 and json.loads(out)["as_of"] == "2026-09-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("score", "ACC-0001"), "closest: ACC-00001 (Acme Analytics)"),
        (("score", "ACC-00001", "--as-of", "2026-13-01"), "'2026-13-01' is not a date in YYYY-MM-DD form"),
        (("rank", "--workspace", "/nonexistent/ws"), "/nonexistent/ws"),
    ],
)
def test_errors_are_one_clear_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    code, out = run(*args)
    assert code == 2 and message in out.replace("\n", " ") and "Traceback" not in out


def test_bad_workspace_file_is_reported(tmp_path: Path) -> None:
    from tests.factory import account, write_workspace

    root = write_workspace(tmp_path / "ws", [account()], [])
    (root / "accounts.csv").write_text((root / "accounts.csv").read_text().replace("mid_market", "galactic"))
    code, out = run("rank", "--workspace", str(root))
    assert code == 2 and "accounts.csv line 2 column 'segment'" in out


def test_demo_command_writes_a_loadable_workspace(tmp_path: Path) -> None:
    code, out = run("demo", "--out", str(tmp_path / "d"), "--accounts", "26", "--seed", "3", "--as-of", "2026-06-30")
    assert code == 0, out
    code, out = run("rank", "--json", "--workspace", str(tmp_path / "d"))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 26 and rows[0]["as_of"] == "2026-06-30"


def test_sources_check_reports_each_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("sources", "check")
    assert code == 0 and "ok" in out and "workspace" in out
    monkeypatch.delenv("ZENDESK_EMAIL", raising=False)
    config = tmp_path / "desk.toml"
    config.write_text('[connectors.sources]\ntickets = "zendesk"\n\n[connectors.zendesk]\nsubdomain = "acme"\n')
    code, out = run("sources", "check", "--config", str(config))
    assert code == 1 and "FAIL" in out and "ZENDESK_EMAIL" in out
    code, out = run("sources", "check", "--config", str(config), "--json")
    checks = {c["source"]: c for c in json.loads(out)}
    assert {k: c["ok"] for k, c in checks.items()} == {"workspace": False, "zendesk": False}
    assert "no workspace folder given" in checks["workspace"]["detail"]  # never the bundled demo (issue 15)
    demo = str(demo_workspace_path())
    code, out = run("sources", "check", "--config", str(config), "--workspace", demo, "--json")
    assert {c["source"]: c["ok"] for c in json.loads(out)} == {"workspace": True, "zendesk": False}


def test_a_failing_source_gives_a_partial_score_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPANSION_DESK_WAREHOUSE_URL", raising=False)
    config = tmp_path / "desk.toml"
    config.write_text('[connectors.sources]\nusage = "warehouse"\n\n[connectors.warehouse]\ntable = "events"\n')
    demo = str(demo_workspace_path())
    code, out = run("score", "ACC-00001", "--json", "--config", str(config), "--workspace", demo)
    assessment = json.loads(out)
    assert code == 0 and assessment["utilisation"] is None
    assert next(s for s in assessment["signals"] if s["id"] == "capacity")["met"] is None
    assert [m["kind"] for m in assessment["missing_evidence"]] == ["usage"]
    assert "seat_growth" in assessment["unevaluated_types"]


def test_snapshot_json_replays_as_an_eval_case(tmp_path: Path) -> None:
    code, out = run("snapshot", "ACC-00001")
    assert code == 0 and json.loads(out)["account"]["account_id"] == "ACC-00001"
    case = tmp_path / "cases" / "acme"
    case.mkdir(parents=True)
    (case / "snapshot.json").write_text(out)
    (case / "case.json").write_text('{"account_id": "ACC-00001", "snapshot": "snapshot.json", "proposal": false}')
    _, scored = run("score", "ACC-00001", "--json")
    expected = {k: json.loads(scored)[k] for k in ("score", "tier", "expansion_type", "proposed_expansion_value")}
    (case / "expected.json").write_text(json.dumps(expected))
    code, out = run("eval", str(tmp_path / "cases"), "--json")
    assert code == 0 and json.loads(out)["totals"]["passed"] == 1
