"""The book-level commands: `changes` (what changed between two days) and `portfolio` (SPEC §6)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from server.calibration import current_calibration
from server.cli.common import data_options, emit_json, open_desk, out, progress_bar, user_errors
from server.portfolio import change_window, portfolio, what_changed
from skills.changes import AccountChange, BookChanges, SignalChange
from skills.deal_outcomes import OutcomeInsights, OutcomeRate
from skills.portfolio import Forecast, PortfolioSummary


def _signals(changes: tuple[SignalChange, ...], sign: str) -> str:
    return "\n".join(f"{sign}{s.points} {s.id}: {s.source.citation} {s.evidence}" for s in changes)


def _moved(before: object, after: object) -> str:
    return str(after) if before == after else f"{before} → {after}"


def _gate(passed: bool) -> str:
    return "passed" if passed else "failed"


def _blockers(ids: tuple[str, ...]) -> str:
    return ", ".join(ids) or "none"


def changes_table(found: BookChanges) -> Table:
    table = Table(
        title=f"What changed · {found.date_from} → {found.date_to} · "
        f"{len(found.changes)} of {found.accounts_compared} accounts",
        show_lines=True,
    )
    for column in ("Account", "Score", "Tier", "Gate", "Blockers", "Offer", "Signals gained / lost"):
        table.add_column(column, justify="right" if column == "Score" else "left")
    for c in found.changes:
        table.add_row(*_change_cells(c))
    return table


def _change_cells(c: AccountChange) -> tuple[str, ...]:
    delta = f"{c.score_from} → {c.score_to} ({c.score_delta:+d})" if c.score_delta else str(c.score_to)
    signals = "\n".join(filter(None, (_signals(c.signals_gained, "+"), _signals(c.signals_lost, "−"))))
    return (
        f"{c.name} [dim]{c.account_id}[/dim]\n{c.csm_owner}",
        delta,
        _moved(c.tier_from, c.tier_to),
        _moved(_gate(c.gate_from), _gate(c.gate_to)),
        _moved(_blockers(c.blockers_from), _blockers(c.blockers_to)),
        _moved(c.offer_from, c.offer_to),
        signals or "—",
    )


@click.command()
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First day (default: 7 days before --to).")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Second day (default: the workspace's export day).")
@click.option("--workspace", type=click.Path(path_type=Path, file_okay=False), help="Workspace folder.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def changes(
    date_from: str | None, date_to: str | None, workspace: Path | None, config: Path | None, as_json: bool
) -> None:
    """Accounts whose score, tier, gate, blockers or offer changed between two days, and why."""
    with user_errors():
        desk = open_desk(workspace, config)
        start, end = change_window(desk, date_from, date_to)
        with progress_bar("scoring the book on both days", quiet=as_json) as progress:
            found = what_changed(desk, start, end, progress)
        if as_json:
            emit_json(found.changes)
            return
        out.print(changes_table(found) if found.changes else f"no account changed between {start} and {end}")
        for label, ids in (("Only on", found.only_on_from), ("New by", found.only_on_to)):
            if ids:
                day = start if label == "Only on" else end
                out.print(f"{label} {day}: {', '.join(ids)}", highlight=False)


def _money(amounts: dict[str, float] | None, base: float | None, base_currency: str | None) -> str:
    if amounts is None:
        return "—"
    parts = [f"{c} {v:,.0f}" for c, v in amounts.items()] or ["0"]
    if base is not None and base_currency and list(amounts) != [base_currency]:
        parts.append(f"= {base_currency} {base:,.0f}")
    return "\n".join(parts)


def _forecast(f: Forecast, base_currency: str | None) -> str:
    return _money(f.value, f.value_base, base_currency) if f.value is not None else "not calibrated"


def print_portfolio(summary: PortfolioSummary) -> None:
    r, base = summary.retention, summary.base_currency
    out.print(
        f"[bold]Portfolio[/bold] · as of {summary.as_of} · {summary.accounts} accounts, {summary.actionable} actionable"
    )
    if r.nrr is None or r.grr is None:
        out.print(f"NRR / GRR: unknown — {r.reason}", highlight=False)
    else:
        out.print(
            f"NRR [bold]{r.nrr:.1%}[/bold] · GRR [bold]{r.grr:.1%}[/bold] ({r.month_then} → {r.month_now}, "
            f"{r.accounts} accounts, {r.churned} churned; {r.currency} {r.arr_then:,.0f} → {r.arr_now:,.0f})",
            highlight=False,
        )
    tiers = Table(title="Pipeline of actionable accounts (gate passed, no blocker)")
    for column in ("Tier", "Accounts", "Proposed value", "Calibrated rate"):
        tiers.add_column(column, justify="left" if column == "Tier" else "right")
    for tier, p in summary.pipeline.items():
        rate = f"{p.rate.rate:.0%} (backtest, n={p.rate.observations})" if p.rate else "not calibrated"
        tiers.add_row(tier, str(p.accounts), _money(p.value, p.value_base, base), rate)
    out.print(tiers)
    out.print(f"Weighted forecast: {_forecast(summary.forecast, base)}", highlight=False)
    csms = Table(title="By CSM")
    for column in ("CSM", "Accounts", "ARR", "Pipeline", "Forecast", "Needing attention"):
        csms.add_column(column, justify="left" if column == "CSM" else "right")
    for row in summary.csms:
        csms.add_row(
            row.csm,
            str(row.accounts),
            _money(row.arr, row.arr_base, base),
            f"{row.pipeline_accounts} · " + _money(row.pipeline_value, row.pipeline_value_base, base),
            _forecast(row.forecast, base),
            str(row.needing_attention),
        )
    out.print(csms)


@click.command(name="portfolio")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def portfolio_command(workspace: Path | None, config: Path | None, as_of: str | None, as_json: bool) -> None:
    """The book as a whole: NRR and GRR, pipeline per tier, weighted forecast, a row per CSM."""
    with user_errors():
        desk = open_desk(workspace, config)
        day = desk.as_of(as_of)
        with progress_bar("scoring accounts", quiet=as_json) as progress:
            summary = portfolio(desk, day, current_calibration(desk).rate_for_tier, progress=progress)
        if as_json:
            emit_json(summary)
        else:
            print_portfolio(summary)


def _outcome_table(title: str, rows: tuple[OutcomeRate, ...]) -> Table:
    table = Table(title=title)
    for column in ("", "Won", "Lost", "Win rate"):
        table.add_column(column, justify="left" if not column else "right")
    for r in rows:
        table.add_row(r.key, str(r.won), str(r.lost), "—" if r.win_rate is None else f"{r.win_rate:.0%}")
    return table


def print_outcomes(learned: OutcomeInsights) -> None:
    """The outcomes loop of `insights`: what preceded won and lost expansion deals."""
    out.print(
        f"Closed expansion deals: {learned.deals} ({learned.won} won, {learned.lost} lost); "
        f"{learned.won_without_trigger} won with no trigger before them",
        highlight=False,
    )
    out.print(
        _outcome_table(
            f"Triggers before the deal (its proposal, else the account {learned.lead_days} days before the close)",
            learned.by_trigger,
        )
    )
    out.print(_outcome_table("Offer before the deal", learned.by_offer))
    for p in learned.proposals:
        out.print(
            f"Proposal {p.proposal_id} ({p.account_id}, {p.offer}): {p.outcome} with deal {p.deal_id}", highlight=False
        )


COMMANDS = (changes, portfolio_command)
