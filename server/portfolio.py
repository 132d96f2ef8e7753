"""The book over time and as a whole, for the CLI and the MCP tools: what changed between two days,
and the portfolio roll-up (retention, pipeline, forecast, CSM rows). Thin over the pure
`skills.changes`, `skills.retention` and `skills.portfolio`."""

from __future__ import annotations

from datetime import date, timedelta

from connectors.source import Progress
from connectors.workspace import ARR_HISTORY_FILE, Workspace
from server.desk import Desk
from skills.changes import BookChanges, book_changes
from skills.portfolio import PortfolioSummary, RateForTier, portfolio_summary
from skills.retention import ArrHistory, net_retention

DEFAULT_CHANGE_DAYS = 7


def change_window(desk: Desk, date_from: str | date | None, date_to: str | date | None) -> tuple[date, date]:
    """--to defaults to the desk's day (the workspace's as_of), --from to 7 days before --to."""
    to = desk.as_of(date_to)
    start = desk.as_of(date_from) if date_from else to - timedelta(days=DEFAULT_CHANGE_DAYS)
    if start >= to:
        raise ValueError(f"--from {start} must be before --to {to}")
    return start, to


def what_changed(desk: Desk, date_from: date, date_to: date, progress: Progress | None = None) -> BookChanges:
    """Every account scored on both days (each side is exactly `score --as-of` that day), then diffed."""
    before = desk.rank(date_from, progress=progress)
    after = desk.rank(date_to, progress=progress)
    return book_changes(before, after, date_from, date_to)


def arr_history(desk: Desk) -> tuple[ArrHistory | None, str]:
    """The workspace's arr_history.csv when it has one, and what to say when it does not."""
    source = desk.source
    workspace = source if isinstance(source, Workspace) else getattr(source, "workspace", None)
    if not isinstance(workspace, Workspace):
        return None, "no workspace configured to read arr_history.csv from"
    return workspace.arr_history, f"{ARR_HISTORY_FILE} not in workspace {workspace.path}"


def portfolio(
    desk: Desk, as_of: date, rate_for_tier: RateForTier | None = None, progress: Progress | None = None
) -> PortfolioSummary:
    """The roll-up; `rate_for_tier` gives each tier's calibrated rate (server.calibration), else no forecast."""
    book = desk.rank(as_of, progress=progress)
    history, missing = arr_history(desk)
    currencies = {a.account_id: a.currency for a in desk.source.accounts()}
    retention = net_retention(history, as_of, currencies, desk.rules.catalog, missing)
    return portfolio_summary(book, as_of, retention, desk.rules.catalog, rate_for_tier)
