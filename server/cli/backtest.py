"""`expansion-desk backtest`: does the readiness score predict the expansions that followed (SPEC §5)?"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
from rich.table import Table

from connectors.source import SnapshotSource
from connectors.workspace import Workspace
from server.calibration import inputs_fingerprint
from server.cli.common import emit_json, err, open_desk, out, progress_bar, user_errors
from server.desk import Desk, gc_paused
from server.store import ProposalStore
from skills.backtest.observations import Observation, observe_book
from skills.backtest.point_in_time import in_book
from skills.backtest.points import default_points
from skills.backtest.report import BacktestReport, backtest_report
from skills.backtest.usage import score_usage
from skills.backtest.weights import SIGNALS, WeightFit
from skills.backtest.weights import suggest_weights as fit_weights
from skills.usage.aggregate import no_usage
from skills.usage.sql import Scope


def first_usage_day(source: SnapshotSource) -> date | None:
    """The day of the earliest usage event in the workspace (the default points start 90 days later)."""
    workspace = source if isinstance(source, Workspace) else getattr(source, "workspace", None)
    if not isinstance(workspace, Workspace) or workspace.usage is None:
        return None
    rows = workspace.usage.run("SELECT MIN(ts) FROM usage_events", {})
    first = rows[0][0] if rows else None
    return None if first is None else first.date()


def backtest_points(desk: Desk, at: tuple[str, ...], horizon_days: int) -> list[date]:
    if at:
        return sorted({desk.as_of(value) for value in at})
    first = first_usage_day(desk.source)
    if first is None:
        raise ValueError("no usage events to start the default backtest points from: give the points with --at")
    points = default_points(first, desk.as_of(), horizon_days)
    if not points:
        raise ValueError(
            f"no month-end has 90 days of usage history (from {first}) and {horizon_days} days of outcomes "
            f"before {desk.as_of()}: give the points with --at or a shorter --horizon-days"
        )
    return points


def observe_points(desk: Desk, points: list[date], horizon_days: int, quiet: bool) -> list[Observation]:
    """Every account in the book at every point, scored point-in-time.

    On a workspace, the snapshots are built once (at the first point) and later points swap in the
    usage the score reads, aggregated at that point by the same SQL (`score_usage`); other sources
    build full snapshots at each point.
    """
    ordered = sorted(points)
    workspace = desk.source if isinstance(desk.source, Workspace) and desk.source.usage is not None else None
    if workspace is not None and workspace.usage is not None:
        workspace.usage.run("SET enable_progress_bar = false", {})  # DuckDB's own bar would land in --json stdout
    observations: list[Observation] = []
    with progress_bar("replaying the score", quiet=quiet) as progress, gc_paused():
        book = list(desk.source.snapshots(ordered[0]))
        observations.extend(observe_book(book, desk.rules, horizon_days))
        progress(1, len(ordered))
        for done, t in enumerate(ordered[1:], start=2):
            if workspace is not None and workspace.usage is not None:
                facts = score_usage(workspace.usage.run, Scope("usage_events"), t, desk.rules.usage)
                empty = no_usage(t, desk.rules.usage)
                moved = (
                    s.model_copy(update={"as_of": t, "usage": facts.get(s.account_id, empty)})
                    for s in book
                    if in_book(s.account, t)
                )
                observations.extend(observe_book(moved, desk.rules, horizon_days))
            else:
                observations.extend(observe_book(desk.source.snapshots(t), desk.rules, horizon_days))
            progress(done, len(ordered))
    return observations


def _num(value: float | None, style: str = "{:.2f}") -> str:
    return "—" if value is None else style.format(value)


def _pct(value: float | None) -> str:
    return _num(value, "{:.1%}")


def print_report(report: BacktestReport) -> None:
    out.print(
        f"[bold]Backtest[/bold] · {len(report.points)} points "
        f"({report.points[0]} … {report.points[-1]}) · horizon {report.horizon_days} days\n"
        f"{report.observations} observations, {report.positives} won expansions · base rate "
        f"{_pct(report.base_rate)} · AUC {_num(report.auc)} · top two tiers catch {_pct(report.capture_top2)}"
    )
    tiers = Table(title="Conversion by tier")
    for column in ("tier", "n", "won", "rate", "95% interval", "lift"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for t in report.tiers:
        interval = "—" if t.rate_low is None else f"{_pct(t.rate_low)} – {_pct(t.rate_high)}"
        tiers.add_row(t.tier, str(t.n), str(t.positives), _pct(t.rate), interval, _num(t.lift, "{:.2f}×"))
    out.print(tiers)
    signals = Table(title="Signals (* reads account fields with no history: not point-in-time)")
    for column in ("signal", "met", "won", "precision", "recall", "lift"):
        signals.add_column(column, justify="left" if column == "signal" else "right")
    for s in report.signals:
        signals.add_row(
            s.id + ("" if s.point_in_time else " *"),
            str(s.n_met),
            str(s.positives_met),
            _pct(s.precision),
            _pct(s.recall),
            _num(s.lift, "{:.2f}×"),
        )
    out.print(signals)
    baselines = Table(title="Against baselines, same observations")
    for column in ("ranking", "AUC", "flagged", "won flagged", "capture", "lift"):
        baselines.add_column(column, justify="left" if column == "ranking" else "right")
    top = [t for t in report.tiers if t.tier in ("priority", "ready")]
    flagged, won = sum(t.n for t in top), sum(t.positives for t in top)
    top_lift = None if not flagged or not report.base_rate else won / flagged / report.base_rate
    baselines.add_row(
        "score, top two tiers",
        _num(report.auc),
        str(flagged),
        str(won),
        _pct(report.capture_top2),
        _num(top_lift, "{:.2f}×"),
    )
    for name, b in (("capacity alone", report.baselines.capacity), ("random ranking", report.baselines.random)):
        baselines.add_row(
            name, _num(b.auc), str(b.flagged), str(b.positives_flagged), _pct(b.capture), _num(b.lift, "{:.2f}×")
        )
    out.print(baselines)


def print_weights(fit: WeightFit) -> None:
    table = Table(title="Suggested weights (fitted on earlier points; not applied)")
    for column in ("signal", "current", "suggested", "log-odds"):
        table.add_column(column, justify="left" if column == "signal" else "right")
    for s in SIGNALS:
        table.add_row(s, str(getattr(fit.current, s)), str(getattr(fit.suggested, s)), f"{fit.coefficients[s]:+.3f}")
    table.add_row(
        f"AUC on held-out points ({fit.held_out_points[0]} … {fit.held_out_points[-1]}, {fit.held_out_observations} obs.)",
        _num(fit.auc_current),
        _num(fit.auc_suggested),
        "",
    )
    out.print(table)
    out.print(
        f"Fitted on {len(fit.train_points)} earlier points ({fit.train_observations} observations). "
        "To use them, paste into expansion-desk.toml:\n"
    )
    click.echo(fit.toml)


def store_result(desk: Desk, report: BacktestReport) -> None:
    """Kept with its inputs' fingerprint so proposals and the portfolio can quote calibrated rates."""
    ProposalStore.from_settings(desk.settings).save_backtest(inputs_fingerprint(desk, report.horizon_days), report)


@click.command()
@click.option("--workspace", type=click.Path(path_type=Path, file_okay=False), help="Workspace folder.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file.")
@click.option("--at", "at", multiple=True, metavar="YYYY-MM-DD", help="A point to replay (repeatable).")
@click.option("--horizon-days", type=click.IntRange(min=1), default=180, show_default=True)
@click.option("--chart", type=click.Path(path_type=Path, dir_okay=False), help="Write the lift chart (.svg or .png).")
@click.option("--suggest-weights", is_flag=True, help="Fit the nine weights on earlier points, test on later ones.")
@click.option("--no-store", is_flag=True, help="Do not keep the result for calibrated confidence.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (SPEC §5 shape).")
def backtest(
    workspace: Path | None,
    config: Path | None,
    at: tuple[str, ...],
    horizon_days: int,
    chart: Path | None,
    suggest_weights: bool,
    no_store: bool,
    as_json: bool,
) -> None:
    """Replay the readiness score at past days and check it against the expansions won afterwards."""
    with user_errors():
        desk = open_desk(workspace, config)
        points = backtest_points(desk, at, horizon_days)
        late = [t for t in points if t + timedelta(days=horizon_days) > desk.as_of()]
        if late and not as_json:
            err.print(
                f"[yellow]note:[/yellow] {len(late)} point(s) after {desk.as_of() - timedelta(days=horizon_days)}: "
                f"their {horizon_days}-day horizon ends after the data ({desk.as_of()}), so some wins are not seen yet"
            )
        observations = observe_points(desk, points, horizon_days, quiet=as_json)
        report = backtest_report(observations, points, horizon_days)
        fit = fit_weights(observations, desk.rules.weights) if suggest_weights else None
        if not no_store:
            store_result(desk, report)
        if chart is not None:
            from server.charts_backtest import lift_chart  # matplotlib loads only when a chart is asked for

            err.print(f"lift chart written to {lift_chart(report, chart)}")
        if as_json:
            emit_json(report if fit is None else {**report.model_dump(mode="json"), "suggested_weights": fit})
            return
        print_report(report)
        if fit is not None:
            print_weights(fit)


COMMANDS = (backtest,)
