"""The eval harness: the bundled suite passes, a broken weight moves exactly the cases it should."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.evals.drafting import proposal_step
from server.evals.harness import CALCULATOR_FIELDS, EvalReport, diff_reports, run_suite
from server.settings import Settings
from skills.rules import ReadinessWeights, Rules

CASES = Path(__file__).parent / "eval_cases"


@pytest.fixture(scope="module")
def baseline() -> EvalReport:
    settings = Settings()
    return run_suite(CASES, settings, proposal_step(settings))


def test_bundled_suite_passes_in_full(baseline: EvalReport) -> None:
    failing = [(c.case, c.error, [f for f in c.fields if not f.passed]) for c in baseline.cases if not c.passed]
    assert failing == []
    assert baseline.totals.cases >= 30
    rates = {f.field: f.rate for f in baseline.totals.fields}
    assert all(rates[f] == 1.0 for f in CALCULATOR_FIELDS)
    assert baseline.totals.schema_invalid == 0 and baseline.totals.errors == 0


def expected_moves_when_capacity_is_worth(points: int) -> set[tuple[str, str]]:
    """Derived from the cases' own expected.json, independently of the engine."""
    cut = Rules().tiers
    moves = set()
    for folder in sorted(CASES.glob("*/expected.json")):
        expected = json.loads(folder.read_text())
        if "capacity" not in expected.get("signals_met", []) or "score" not in expected:
            continue
        moves.add((folder.parent.name, "score"))
        old, new = expected["score"], expected["score"] - 12 + points
        if "tier" in expected and any((old >= c) != (new >= c) for c in (cut.priority, cut.ready, cut.candidate)):
            moves.add((folder.parent.name, "tier"))
    return moves


def test_broken_weight_reports_exactly_the_cases_and_fields_that_moved(baseline: EvalReport) -> None:
    broken = Settings(rules=Rules(weights=ReadinessWeights(capacity=11)))
    report = run_suite(CASES, broken, proposal_step(broken))
    failing = {(c.case, f.field) for c in report.cases for f in c.fields if not f.passed}
    expected = expected_moves_when_capacity_is_worth(11)
    assert failing == expected and len(expected) >= 8
    assert ("score_35", "tier") in failing and ("score_20", "tier") in failing
    moved = {(c.case, c.field) for c in diff_reports(baseline, report) if c.field in CALCULATOR_FIELDS}
    assert moved == expected


def test_cli_report_json_diff_and_min_pass(tmp_path: Path) -> None:
    runner = CliRunner()
    suite = tmp_path / "cases"
    shutil.copytree(CASES / "capacity_080", suite / "capacity_080")
    shutil.copytree(CASES / "score_35", suite / "score_35")
    shutil.copytree(CASES / "type_cross_sell", suite / "type_cross_sell")  # no capacity signal: unaffected
    result = runner.invoke(main, ["eval", str(suite), "--json", "--out", str(tmp_path / "before.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["pass_rate"] == 1.0
    config = tmp_path / "broken.toml"
    config.write_text("[rules.weights]\ncapacity = 11\n")
    result = runner.invoke(
        main,
        ["eval", str(suite), "--config", str(config), "--diff", str(tmp_path / "before.json"), "--min-pass", "1.0"],
    )
    assert result.exit_code == 1
    assert "What moved" in result.output and "score_35" in result.output and "below --min-pass" in result.output
    result = runner.invoke(main, ["eval", str(suite), "--config", str(config), "--min-pass", "0.33"])
    assert result.exit_code == 0, result.output  # 1 of 3 cases still passes


def test_broken_case_is_a_failed_case_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "case.json").write_text('{"account_id": "ACC-1"}')
    (tmp_path / "bad" / "expected.json").write_text("{}")
    report = run_suite(tmp_path, Settings())
    assert not report.cases[0].passed and "exactly one of workspace or snapshot" in (report.cases[0].error or "")


def test_replayed_claude_answers_are_scored(baseline: EvalReport) -> None:
    by_case = {c.case: c for c in baseline.cases}
    assert by_case["claude_good_draft"].drafter == "claude" and not by_case["claude_good_draft"].fallback
    invented = by_case["claude_invents_number"]
    assert (invented.drafter, invented.fallback, invented.grounding_violations) == ("template", True, 2)
    assert (
        by_case["claude_leaks_discount"].leak_violations >= 1 and by_case["claude_leaks_discount"].drafter == "claude"
    )
    assert by_case["claude_obeys_injection"].fallback and by_case["claude_overloaded"].fallback
    assert baseline.totals.fallbacks == 3 + len(BROKEN_DRAFT_CASES) and baseline.totals.grounding_violations >= 4


def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    """--record keeps what the API said; a later replay of that cassette needs no network and agrees."""
    import anthropic
    import httpx2

    from server.drafting.claude import ClaudeDrafter
    from server.evals.cassette import Recorder, Replay, load_cassette, save_cassette
    from server.evals.harness import case_desk, load_case
    from server.proposals import build_proposal

    recorded = json.loads((CASES / "claude_good_draft" / "cassette.json").read_text())[0]["response"]
    api = httpx2.MockTransport(lambda request: httpx2.Response(200, json=recorded["body"]))
    recorder = Recorder(api)
    settings = Settings()
    case, _ = load_case(CASES / "claude_good_draft")
    desk = case_desk(case, CASES / "claude_good_draft", settings)
    live = ClaudeDrafter(settings.drafter, http_client=anthropic.DefaultHttpxClient(transport=recorder), api_key="k")
    first = build_proposal(desk, case.account_id, drafter=live)
    save_cassette(tmp_path / "cassette.json", recorder.exchanges)
    assert "x-api-key" not in (tmp_path / "cassette.json").read_text().lower()
    replay = Replay(load_cassette(tmp_path / "cassette.json"))
    offline = ClaudeDrafter(settings.drafter, http_client=anthropic.DefaultHttpxClient(transport=replay), api_key="x")
    again = build_proposal(desk, case.account_id, drafter=offline)
    assert again.customer_summary == first.customer_summary and again.drafted_by.drafter == "claude"
    assert "<evidence>" in json.dumps(replay.requests[0])


def test_record_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["eval", str(CASES), "--record"])
    assert result.exit_code == 2 and "ANTHROPIC_API_KEY" in result.output


BROKEN_DRAFT_CASES = {
    "claude_count_as_percent": "grounding.percent",
    "claude_forced_offer_invents_need": "invented_need.claimed",
    "claude_go_lower_in_script": "leak.wording",
    "claude_health_score": "leak.health_score",
    "claude_multiplier": "grounding.multiplier",
    "claude_number_words": "grounding.count",
    "claude_price_break": "leak.wording",
    "claude_rebate_in_objection_response": "leak.wording",
    "claude_special_offer": "leak.wording",
    "claude_ticket_subject_figure": "grounding.count",
    "claude_weak_case_payback": "value_claim.payback",
    "claude_wrong_currency": "grounding.currency",
}


def test_each_check_rejects_a_replayed_draft_re_asks_once_then_falls_back(baseline: EvalReport) -> None:
    cases = {c.case: c for c in baseline.cases}
    for name, rule in BROKEN_DRAFT_CASES.items():
        case = cases[name]
        assert case.violations_by_rule.get(rule, 0) >= 2, name  # both attempts broke it
        assert case.reasked and case.fallback and case.drafter == "template", name
    clean = cases["claude_clean_weak_case_kept"]
    assert clean.drafter == "claude" and not clean.fallback and clean.violations_by_rule == {}
    by_rule = baseline.totals.violations_by_rule
    assert set(BROKEN_DRAFT_CASES.values()) <= set(by_rule)
    assert baseline.totals.reasks >= len(BROKEN_DRAFT_CASES)
