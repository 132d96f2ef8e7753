"""Extraction eval cases: replayed readings scored against hand-labelled signals, precision/recall per kind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.evals.extraction import LabelledSignal, score
from server.evals.harness import EvalReport, run_suite
from server.settings import Settings
from skills.conversations.signal import SIGNAL_KINDS, ExtractedSignal
from tests.factory import AS_OF

CASES = Path(__file__).parent / "eval_cases"
EXTRACTION_CASES = sorted(p.name for p in CASES.glob("extract_*"))


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("extraction_cases")
    for name in EXTRACTION_CASES:
        shutil.copytree(CASES / name, root / name)
    return root


@pytest.fixture(scope="module")
def report(suite: Path) -> EvalReport:
    return run_suite(suite, Settings())


def test_the_bundled_extraction_cases_pass_with_precision_and_recall_per_kind(report: EvalReport) -> None:
    assert len(EXTRACTION_CASES) >= 6
    assert [(c.case, c.error) for c in report.cases if not c.passed] == []
    rates = {k.kind: k for k in report.totals.extraction}
    assert set(rates) == set(SIGNAL_KINDS)
    assert all(k.precision == 1.0 and k.recall == 1.0 for k in rates.values())
    assert report.totals.signals_dropped == 4


def test_the_special_cases_behave_as_labelled(report: EvalReport) -> None:
    by_case = {c.case: c.extraction for c in report.cases}
    fabricated, injection, empty = (
        by_case["extract_fabricated_quote_dropped"],
        by_case["extract_injection_is_data"],
        by_case["extract_no_signal"],
    )
    assert fabricated is not None and fabricated.dropped == 2 and fabricated.unexpected == []
    assert injection is not None and [(k.kind, k.found) for k in injection.by_kind] == [("competitor", 1)]
    assert empty is not None and empty.by_kind == [] and empty.dropped == 0
    overloaded = by_case["extract_api_overloaded"]
    assert overloaded is not None and overloaded.fallback and overloaded.by_kind == []
    risk = by_case["extract_risk_and_competitor"]
    assert risk is not None and risk.cleared_catalog_ids == 1  # "tableau" is not a catalog id


def test_a_wrong_label_fails_its_case_and_lowers_the_kinds_rates(suite: Path, tmp_path: Path) -> None:
    case = tmp_path / "extract_qbr_module_request"
    shutil.copytree(suite / case.name, case)
    expected = json.loads((case / "expected_signals.json").read_text())
    expected["signals"].append({"kind": "risk", "catalog_id": None, "quote": "better than expected"})
    expected["signals"][0]["kind"] = "initiative"
    (case / "expected_signals.json").write_text(json.dumps(expected))
    report = run_suite(tmp_path, Settings())
    (result,) = report.cases
    assert not result.passed and result.extraction is not None
    assert result.extraction.missed == ["initiative: " + expected["signals"][0]["quote"], "risk: better than expected"]
    rates = {k.kind: (k.precision, k.recall) for k in report.totals.extraction}
    assert (
        rates["module_request"] == (0.0, None) and rates["initiative"] == (None, 0.0) and rates["risk"] == (None, 0.0)
    )


def test_matching_is_one_to_one_by_kind_catalog_id_and_quote() -> None:
    def found(kind: str, quote: str, catalog_id: str | None = None) -> ExtractedSignal:
        return ExtractedSignal.model_validate(
            {
                "kind": kind,
                "catalog_id": catalog_id,
                "quote": quote,
                "speaker": "Pat",
                "interaction_id": "I",
                "day": AS_OF,
            }
        )

    labels = [
        LabelledSignal(kind="need", quote="Onboarding is slow"),
        LabelledSignal(kind="need", quote="Onboarding is slow"),
    ]
    result = score(labels, (found("need", "Honestly, onboarding is slow for new agents."),))
    assert result.missed == ["need: Onboarding is slow"] and [
        (k.kind, k.matched, k.found, k.expected) for k in result.by_kind
    ] == [("need", 1, 1, 2)]
    wrong_id = score([LabelledSignal(kind="module_request", catalog_id="analytics", quote="add that module")],
                     (found("module_request", "could we add that module", None),))  # fmt: skip
    assert wrong_id.missed and wrong_id.unexpected == ["module_request: could we add that module"]


def test_a_broken_extraction_case_is_a_failed_case_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "extract_bad").mkdir()
    (tmp_path / "extract_bad" / "case.json").write_text('{"kind": "extraction"}')
    (result,) = run_suite(tmp_path, Settings()).cases
    assert not result.passed and "extract_bad/case.json" in (result.error or "") and "day" in (result.error or "")


def test_the_eval_cli_prints_precision_and_recall(suite: Path) -> None:
    result = CliRunner().invoke(main, ["eval", str(suite)])
    assert result.exit_code == 0, result.output
    assert "Signal extraction: precision and recall per kind (4 ungrounded dropped)" in result.output
    as_json = CliRunner().invoke(main, ["eval", str(suite), "--json"])
    totals = json.loads(as_json.output)["totals"]
    assert {k["kind"] for k in totals["extraction"]} == set(SIGNAL_KINDS) and totals["signals_dropped"] == 4


def test_record_saves_what_claude_said_and_a_replay_agrees(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--record passes the reading through to the real API (here a mock) and keeps it as the case's cassette."""
    import httpx2

    from server.evals import extraction

    case = tmp_path / "extract_no_signal"
    shutil.copytree(suite / case.name, case)
    recorded = json.loads((case / "cassette.json").read_text())[0]["response"]["body"]
    (case / "cassette.json").unlink()
    api = httpx2.MockTransport(lambda request: httpx2.Response(200, json=recorded))
    original = extraction.Recorder
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-recording")
    try:
        extraction.Recorder = lambda: original(api)  # type: ignore[assignment,misc]
        live = run_suite(tmp_path, Settings(), record=True)
    finally:
        extraction.Recorder = original  # type: ignore[misc]
    saved = json.loads((case / "cassette.json").read_text())
    assert saved[0]["response"]["body"] == recorded and saved[0]["request"]["tool_choice"]["name"] == "record_signals"
    assert "sk-test-recording" not in json.dumps(saved)
    replayed = run_suite(tmp_path, Settings())
    assert live.cases[0].passed and replayed.cases[0].passed
