"""The eval harness: replay fixture cases offline and score the whole pipeline against expectations.

A case is a folder: `case.json` (account, as_of, drafter, where the data is), the data (a workspace
folder or a snapshot JSON), optionally `cassette.json` (recorded /v1/messages exchanges), and
`expected.json` (any subset of the fields of `Expected`). Every case runs offline and deterministically.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.errors import DataError, DataIssue, SourceError, UnknownAccountError
from connectors.snapshot_file import SnapshotFile
from connectors.workspace import Workspace
from server.desk import Desk
from server.evals.extraction import ExtractionScore, KindRate, is_extraction_case, kind_rates, run_extraction_case
from server.settings import Settings
from skills.assessment import AccountAssessment
from skills.catalog import ExpansionType
from skills.playbook.readiness_score import ReadinessTier, SignalId

CALCULATOR_FIELDS = (
    "score",
    "tier",
    "signals_met",
    "expansion_type",
    "proposed_expansion_value",
    "total_proposed_arr",
    "gate_passed",
    "blocker_ids",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvalCase(_Strict):
    """`case.json`. Data: `workspace` (a folder) or `snapshot` (a JSON file), relative to the case."""

    account_id: str
    description: str = ""
    as_of: date | None = None
    workspace: str | None = None
    snapshot: str | None = None
    drafter: Literal["template", "claude"] = "template"
    expansion_type: ExpansionType | None = None
    proposal: bool = True


class Expected(_Strict):
    """`expected.json`: only the fields present are checked."""

    score: int | None = None
    tier: ReadinessTier | None = None
    signals_met: list[SignalId] | None = None
    expansion_type: ExpansionType | None = None
    proposed_expansion_value: float | None = None
    total_proposed_arr: float | None = None
    gate_passed: bool | None = None
    blocker_ids: list[str] | None = None
    kind: str | None = None
    drafter: Literal["template", "claude"] | None = None
    customer_summary_contains: list[str] = Field(default_factory=list)
    customer_summary_excludes: list[str] = Field(default_factory=list)
    internal_prep_contains: list[str] = Field(default_factory=list)
    internal_prep_excludes: list[str] = Field(default_factory=list)
    value_case: Literal["strong", "weak", "unknown"] | None = None
    offer_chosen_by: Literal["rules", "csm"] | None = None
    calendar_fitted_to_renewal: Literal["compressed", "co_term", "none"] | None = None
    calendar_last_day: date | None = None
    other_plays: list[ExpansionType] | None = None
    expansion_potential: float | None = None
    renewal_risk_level: Literal["green", "amber", "red", "none"] | None = None
    violations_by_rule: dict[str, int] | None = None
    fallback: bool | None = None


class FieldResult(BaseModel):
    field: str
    expected: Any
    actual: Any
    passed: bool


class CaseResult(BaseModel):
    case: str
    passed: bool
    fields: list[FieldResult] = Field(default_factory=list)
    schema_valid: bool | None = None
    grounding_violations: int = 0
    leak_violations: int = 0
    violations_by_rule: dict[str, int] = Field(default_factory=dict)
    reasked: bool = False
    fallback: bool = False
    drafter: str | None = None
    latency_ms: float = 0.0
    error: str | None = None
    extraction: ExtractionScore | None = None


class FieldRate(BaseModel):
    field: str
    checked: int
    passed: int

    @property
    def rate(self) -> float:
        return self.passed / self.checked if self.checked else 1.0


class EvalTotals(BaseModel):
    cases: int
    passed: int
    pass_rate: float
    fields: list[FieldRate]
    schema_invalid: int
    grounding_violations: int
    leak_violations: int
    violations_by_rule: dict[str, int] = Field(default_factory=dict)
    reasks: int = 0
    fallbacks: int
    errors: int
    latency_p50_ms: float
    latency_p95_ms: float
    extraction: list[KindRate] = Field(default_factory=list, description="precision/recall per signal kind")
    signals_dropped: int = Field(default=0, description="extracted claims whose quote was not in the text")


class EvalReport(BaseModel):
    cases: list[CaseResult]
    totals: EvalTotals


class FieldChange(BaseModel):
    case: str
    field: str
    before: Any
    after: Any
    passed_before: bool | None
    passed_after: bool | None


CaseDrafting = Callable[[Desk, EvalCase, Path, Expected, list[FieldResult]], CaseResult | None]
"""Runs the proposal part of a case and fills in drafting metrics; None when the case has none."""


def load_case(folder: Path) -> tuple[EvalCase, Expected]:
    def read(name: str, model: type[BaseModel]) -> Any:
        file = folder / name
        try:
            return model.model_validate_json(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DataError([DataIssue(file=str(file), message="not found: every case needs it")]) from exc
        except ValidationError as exc:
            raise DataError(
                [
                    DataIssue(file=f"{folder.name}/{name}", column=".".join(str(p) for p in e["loc"]), message=e["msg"])
                    for e in exc.errors()
                ]
            ) from exc

    case: EvalCase = read("case.json", EvalCase)
    if (case.workspace is None) == (case.snapshot is None):
        raise DataError(
            [DataIssue(file=f"{folder.name}/case.json", message="give exactly one of workspace or snapshot")]
        )
    return case, read("expected.json", Expected)


def case_desk(case: EvalCase, folder: Path, settings: Settings) -> Desk:
    if case.workspace is not None:
        return Desk(settings, Workspace((folder / case.workspace).resolve(), settings.rules))
    assert case.snapshot is not None
    return Desk(settings, SnapshotFile(folder / case.snapshot, settings.rules.catalog))


def calculator_fields(assessment: AccountAssessment) -> dict[str, Any]:
    return {
        "score": assessment.score,
        "tier": assessment.tier,
        "signals_met": sorted(s.id for s in assessment.signals if s.met),
        "expansion_type": assessment.expansion_type,
        "proposed_expansion_value": assessment.proposed_expansion_value,
        "total_proposed_arr": assessment.total_proposed_arr,
        "gate_passed": assessment.gate.passed,
        "blocker_ids": sorted(b.id for b in assessment.blockers),
    }


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, float | int) and isinstance(actual, float | int) and not isinstance(expected, bool):
        return abs(float(expected) - float(actual)) < 0.005
    if isinstance(expected, list):
        return bool(sorted(expected) == actual)
    return bool(expected == actual)


def compare(expected: Expected, actual: dict[str, Any]) -> list[FieldResult]:
    checked = expected.model_dump(exclude_none=True, include=set(CALCULATOR_FIELDS))
    return [FieldResult(field=f, expected=v, actual=actual[f], passed=_same(v, actual[f])) for f, v in checked.items()]


def run_case(
    folder: Path, settings: Settings, drafting: CaseDrafting | None = None, record: bool = False
) -> CaseResult:
    """Never raises: a broken case is a failed case whose error says why."""
    started = time.perf_counter()
    try:
        if is_extraction_case(folder):
            result = extraction_result(folder, settings, record)
            return result.model_copy(update={"latency_ms": round((time.perf_counter() - started) * 1000, 1)})
        case, expected = load_case(folder)
        desk = case_desk(case, folder, settings)
        fields = compare(expected, calculator_fields(desk.assess(case.account_id, case.as_of)))
        drafted = drafting(desk, case, folder, expected, fields) if drafting and case.proposal else None
        result = drafted or CaseResult(case=folder.name, passed=all(f.passed for f in fields), fields=fields)
    except (DataError, SourceError, UnknownAccountError, ValueError) as exc:
        result = CaseResult(case=folder.name, passed=False, error=str(exc))
    return result.model_copy(update={"latency_ms": round((time.perf_counter() - started) * 1000, 1)})


def extraction_result(folder: Path, settings: Settings, record: bool = False) -> CaseResult:
    """An extraction case as a result: the labelled signals found one to one, the drops and fallback as expected."""
    score, expected = run_extraction_case(folder, settings, record)
    fields = [
        FieldResult(
            field="signals",
            expected=len(expected.signals),
            actual={"missed": score.missed, "unexpected": score.unexpected},
            passed=not score.missed and not score.unexpected,
        ),
        FieldResult(
            field="extraction_fallback",
            expected=expected.fallback,
            actual=score.fallback,
            passed=expected.fallback == score.fallback,
        ),
    ]
    if expected.dropped is not None:
        fields.append(
            FieldResult(
                field="signals_dropped",
                expected=expected.dropped,
                actual=score.dropped,
                passed=expected.dropped == score.dropped,
            )
        )
    return CaseResult(
        case=folder.name,
        passed=all(f.passed for f in fields),
        fields=fields,
        extraction=score,
    )


def case_folders(cases_dir: Path) -> list[Path]:
    """Every folder holding a case.json, sorted; shared data folders (no case.json) are skipped."""
    if not cases_dir.is_dir():
        raise DataError([DataIssue(file=str(cases_dir), message="cases folder not found")])
    return sorted(p.parent for p in cases_dir.glob("*/case.json"))


def _by_rule(results: list[CaseResult]) -> dict[str, int]:
    """Violations caught per check rule over every drafter attempt of every case, rules sorted."""
    found: dict[str, int] = {}
    for r in results:
        for rule, n in r.violations_by_rule.items():
            found[rule] = found.get(rule, 0) + n
    return dict(sorted(found.items()))


def totals(results: list[CaseResult]) -> EvalTotals:
    rates: dict[str, FieldRate] = {}
    for r in results:
        for f in r.fields:
            rate = rates.setdefault(f.field, FieldRate(field=f.field, checked=0, passed=0))
            rate.checked += 1
            rate.passed += f.passed
    latencies = sorted(r.latency_ms for r in results) or [0.0]
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18] if len(latencies) > 1 else latencies[0]
    passed = sum(r.passed for r in results)
    return EvalTotals(
        cases=len(results),
        passed=passed,
        pass_rate=round(passed / len(results), 4) if results else 1.0,
        fields=sorted(rates.values(), key=lambda r: r.field),
        schema_invalid=sum(r.schema_valid is False for r in results),
        grounding_violations=sum(r.grounding_violations for r in results),
        leak_violations=sum(r.leak_violations for r in results),
        violations_by_rule=_by_rule(results),
        reasks=sum(r.reasked for r in results),
        fallbacks=sum(r.fallback for r in results),
        errors=sum(r.error is not None for r in results),
        latency_p50_ms=round(statistics.median(latencies), 1),
        latency_p95_ms=round(p95, 1),
        extraction=kind_rates([r.extraction for r in results if r.extraction is not None]),
        signals_dropped=sum(r.extraction.dropped for r in results if r.extraction is not None),
    )


def run_suite(
    cases_dir: Path,
    settings: Settings,
    drafting: CaseDrafting | None = None,
    progress: Callable[[int, int], None] | None = None,
    record: bool = False,
) -> EvalReport:
    """Every case in `cases_dir`; with `record`, extraction cases call Claude and save their cassettes."""
    folders = case_folders(cases_dir)
    results = []
    for done, folder in enumerate(folders, start=1):
        results.append(run_case(folder, settings, drafting, record))
        if progress:
            progress(done, len(folders))
    return EvalReport(cases=results, totals=totals(results))


def _outcomes(report: EvalReport) -> dict[tuple[str, str], tuple[Any, bool | None]]:
    out: dict[tuple[str, str], tuple[Any, bool | None]] = {}
    for case in report.cases:
        out[(case.case, "passed")] = (case.passed, None)
        out[(case.case, "error")] = (case.error, None)
        for f in case.fields:
            out[(case.case, f.field)] = (f.actual, f.passed)
    return out


def diff_reports(before: EvalReport, after: EvalReport) -> list[FieldChange]:
    """What moved between two runs: every case/field whose value or verdict differs."""
    old, new = _outcomes(before), _outcomes(after)
    changes = []
    for key in sorted(set(old) | set(new)):
        (b, bp), (a, ap) = old.get(key, (None, None)), new.get(key, (None, None))
        if b != a or bp != ap:
            changes.append(FieldChange(case=key[0], field=key[1], before=b, after=a, passed_before=bp, passed_after=ap))
    return changes


def load_report(path: Path) -> EvalReport:
    try:
        return EvalReport.model_validate_json(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValidationError, json.JSONDecodeError) as exc:
        raise DataError([DataIssue(file=str(path), message=f"not an eval report: {exc}")]) from exc
