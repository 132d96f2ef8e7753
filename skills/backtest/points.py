"""The default backtest points (SPEC §5): month-ends with 90 days of usage history, up to as_of − horizon."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

HISTORY_DAYS = 90


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def default_points(first_usage: date, as_of: date, horizon_days: int) -> list[date]:
    """Every month-end t with a full 90-day usage window (t − 89 ≥ first usage day) and t ≤ as_of − horizon."""
    first = first_usage + timedelta(days=HISTORY_DAYS - 1)
    last = as_of - timedelta(days=horizon_days)
    points: list[date] = []
    t = month_end(first)
    while t <= last:
        points.append(t)
        t = month_end(t + timedelta(days=1))
    return points
