"""`expansion-desk eval CASES_DIR`: replay the fixture cases and report what passed and what moved."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.table import Table

from server.cli.common import emit_json, err, out, progress_bar, user_errors
from server.evals.harness import EvalReport, FieldChange, diff_reports, load_report, run_suite
from server.settings import load_settings


def report_tables(report: EvalReport) -> tuple[Table, ...]:
    cases = Table(title="Eval cases")
    for column in ("Case", "Result", "Failing fields", "Drafter", "Checks", "ms"):
        cases.add_column(column)
    for c in report.cases:
        failing = "; ".join(f"{f.field}: expected {f.expected!r}, got {f.actual!r}" for f in c.fields if not f.passed)
        checks = ", ".join(
            filter(
                None,
                [
                    "schema invalid" if c.schema_valid is False else "",
                    f"{c.grounding_violations} grounding" if c.grounding_violations else "",
                    f"{c.leak_violations} leak" if c.leak_violations else "",
                    "fallback" if c.fallback else "",
                ],
            )
        )
        result = "[green]pass[/green]" if c.passed else "[red]FAIL[/red]"
        cases.add_row(c.case, result, c.error or failing, c.drafter or "—", checks or "—", f"{c.latency_ms:.0f}")
    t = report.totals
    fields = Table(title=f"Totals: {t.passed}/{t.cases} cases passed ({t.pass_rate:.1%})")
    for column in ("Field", "Passed", "Rate"):
        fields.add_column(column)
    for f in t.fields:
        fields.add_row(f.field, f"{f.passed}/{f.checked}", f"{f.rate:.1%}")
    fields.caption = (
        f"schema invalid {t.schema_invalid} · grounding violations {t.grounding_violations} · "
        f"leak violations {t.leak_violations} · drafter fallbacks {t.fallbacks} · errors {t.errors} · "
        f"latency p50 {t.latency_p50_ms:.0f} ms, p95 {t.latency_p95_ms:.0f} ms"
    )
    if not t.extraction:
        return cases, fields
    kinds = Table(title=f"Signal extraction: precision and recall per kind ({t.signals_dropped} ungrounded dropped)")
    for column in ("Kind", "Expected", "Found", "Matched", "Precision", "Recall"):
        kinds.add_column(column)
    for k in t.extraction:
        rate = [f"{v:.1%}" if v is not None else "—" for v in (k.precision, k.recall)]
        kinds.add_row(k.kind, str(k.expected), str(k.found), str(k.matched), *rate)
    return cases, fields, kinds


def _verdict(passed: bool | None) -> str:
    return "" if passed is None else " ✓" if passed else " ✗"


def changes_table(changes: list[FieldChange], before: Path) -> Table:
    table = Table(title=f"What moved since {before}")
    for column in ("Case", "Field", "Before", "After"):
        table.add_column(column)
    for c in changes:
        table.add_row(
            c.case, c.field, f"{c.before!r}{_verdict(c.passed_before)}", f"{c.after!r}{_verdict(c.passed_after)}"
        )
    return table


@click.command("eval")
@click.argument("cases_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--config", "config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML (rules to try)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), help="Also write the JSON report here."
)
@click.option(
    "--diff", "diff_file", type=click.Path(path_type=Path, dir_okay=False), help="A previous report: show what moved."
)
@click.option(
    "--min-pass", type=click.FloatRange(0, 1), default=None, help="Exit 1 when the case pass rate is below RATE."
)
@click.option(
    "--record",
    is_flag=True,
    help="Call Claude for real (needs ANTHROPIC_API_KEY) and save each claude and extraction case's cassette.",
)
def eval_command(
    cases_dir: Path,
    config: Path | None,
    as_json: bool,
    out_file: Path | None,
    diff_file: Path | None,
    min_pass: float | None,
    record: bool,
) -> None:
    """Replay fixture cases offline (recorded Claude answers included) and score the whole pipeline."""
    from server.evals.drafting import proposal_step

    with user_errors():
        settings = load_settings(config)
        if record and not os.environ.get("ANTHROPIC_API_KEY"):
            raise ValueError("--record calls Claude for real: set ANTHROPIC_API_KEY first")
        before = load_report(diff_file) if diff_file else None
        with progress_bar("evaluating", quiet=as_json) as progress:
            report = run_suite(cases_dir, settings, proposal_step(settings, record), progress=progress, record=record)
    if out_file:
        out_file.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    changes = diff_reports(before, report) if before else None
    if as_json:
        emit_json(
            report
            if changes is None
            else {"report": report.model_dump(mode="json"), "changes": [c.model_dump(mode="json") for c in changes]}
        )
    else:
        for table in report_tables(report):
            out.print(table)
        if changes is not None and diff_file is not None:
            out.print(changes_table(changes, diff_file) if changes else f"Nothing moved since {diff_file}.")
    if min_pass is not None and report.totals.pass_rate < min_pass:
        err.print(f"pass rate {report.totals.pass_rate:.1%} is below --min-pass {min_pass:.1%}")
        sys.exit(1)


COMMANDS = (eval_command,)
