"""The portfolio toolset (read-only): what changed in the book between two days, and the book rolled up."""

from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from server.calibration import current_calibration
from server.mcp.access import READ_ONLY, AsOf, DeskAccess, Toolbox, answer
from server.portfolio import change_window, portfolio
from server.portfolio import what_changed as changes_between
from skills.changes import BookChanges
from skills.evidence import money
from skills.portfolio import Forecast, PortfolioSummary

SHOWN_CHANGES = 15

Day = Annotated[str | None, Field(description="YYYY-MM-DD.")]


def _amounts(amounts: dict[str, float]) -> str:
    return ", ".join(money(v, c) for c, v in amounts.items()) or "0"


def changes_summary(found: BookChanges) -> str:
    if not found.changes:
        return (
            f"No account's score, tier, gate, blockers or offer changed between {found.date_from} and {found.date_to}."
        )
    lines = [
        f"{len(found.changes)} of {found.accounts_compared} accounts changed between {found.date_from} and "
        f"{found.date_to}, biggest score move first:"
    ]
    for c in found.changes[:SHOWN_CHANGES]:
        moves = [f"score {c.score_from} -> {c.score_to}"]
        if c.tier_from != c.tier_to:
            moves.append(f"tier {c.tier_from} -> {c.tier_to}")
        if c.gate_from != c.gate_to:
            moves.append("gate now " + ("passed" if c.gate_to else "failed"))
        if c.blockers_from != c.blockers_to:
            moves.append(f"blockers {list(c.blockers_from)} -> {list(c.blockers_to)}")
        if c.offer_from != c.offer_to:
            moves.append(f"offer {c.offer_from} -> {c.offer_to}")
        signals = [f"+{s.points} {s.id} ({s.source.citation} {s.evidence})" for s in c.signals_gained]
        signals += [f"-{s.points} {s.id} ({s.source.citation} {s.evidence})" for s in c.signals_lost]
        lines.append(f"- {c.name} ({c.account_id}): {'; '.join(moves)}." + (f" {' '.join(signals)}" if signals else ""))
    if len(found.changes) > SHOWN_CHANGES:
        lines.append(f"... and {len(found.changes) - SHOWN_CHANGES} more in the structured result.")
    return "\n".join(lines)


def _forecast(f: Forecast) -> str:
    return _amounts(f.value) if f.value is not None else f"null ({f.reason})"


def portfolio_text(p: PortfolioSummary) -> str:
    r = p.retention
    retention = (
        f"NRR {r.nrr:.1%}, GRR {r.grr:.1%} ({r.month_then} -> {r.month_now}, {r.accounts} accounts, {r.churned} churned)."
        if r.nrr is not None and r.grr is not None
        else f"NRR and GRR unknown: {r.reason}."
    )
    lines = [
        f"Portfolio as of {p.as_of}: {p.accounts} accounts, {p.actionable} actionable (gate passed, no blocker).",
        retention,
    ]
    for tier, row in p.pipeline.items():
        base = (
            f" (= {money(row.value_base, p.base_currency or '')})"
            if row.value_base is not None and p.base_currency
            else ""
        )
        lines.append(f"Pipeline {tier}: {row.accounts} accounts, {_amounts(row.value)}{base}.")
    lines.append(f"Weighted forecast: {_forecast(p.forecast)}.")
    for c in p.csms:
        lines.append(
            f"CSM {c.csm}: {c.accounts} accounts, ARR {_amounts(c.arr)}, pipeline {c.pipeline_accounts} "
            f"({_amounts(c.pipeline_value)}), {c.needing_attention} needing attention."
        )
    return "\n".join(lines)


def register(tools: Toolbox, access: DeskAccess) -> None:
    @tools.tool(title="What changed in the book", annotations=READ_ONLY)
    def what_changed(date_from: Day = None, date_to: Day = None) -> Annotated[CallToolResult, BookChanges]:
        """Every account whose readiness score, tier, readiness gate, blockers or offer changed between
        two days, with the signals gained and lost and their evidence (score_to - score_from = points
        gained - points lost; each side equals score_account on that day). Use it for "what changed
        since last week?" or before a pipeline review. date_to defaults to the workspace's export day,
        date_from to 7 days before date_to."""
        try:
            start, end = access.run(lambda d: change_window(d, date_from, date_to))
        except ValueError as exc:
            raise ToolError(f"{exc}; pass days as YYYY-MM-DD with date_from before date_to.") from exc
        found = access.run(lambda d: changes_between(d, start, end))
        return answer(changes_summary(found), found)

    @tools.tool(title="Portfolio summary", annotations=READ_ONLY)
    def portfolio_summary(as_of: AsOf = None) -> Annotated[CallToolResult, PortfolioSummary]:
        """The book as a whole: net and gross revenue retention (NRR, GRR) from the workspace's
        arr_history.csv (null with the reason without it, never estimated), the pipeline of actionable
        accounts (gate passed, no blocker) per readiness tier with the sum of proposed expansion value
        per currency (and in the catalog's base currency when its fx table covers them), the weighted
        forecast when the tiers are calibrated by a backtest (else null, "not calibrated"), and a row per
        CSM with accounts, ARR, pipeline, forecast and accounts needing attention."""
        day = access.day(as_of)
        summary = access.run_with_store(lambda d, store: portfolio(d, day, current_calibration(d, store).rate_for_tier))
        return answer(portfolio_text(summary), summary)
