"""The SPEC §3 day rule, in one place: `as_of` is a whole day and "in the last N days" means an
age (as_of − d, in days) of 0 … N−1. An event 30 days old is not among the last 30 days."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta


def age_days(as_of: date, when: date | datetime) -> int:
    day = when.date() if isinstance(when, datetime) else when
    return (as_of - day).days


def within_last(as_of: date, when: date | datetime | None, days: int) -> bool:
    """True when `when` is among the last `days` days of `as_of` (future dates are not)."""
    return when is not None and 0 <= age_days(as_of, when) <= days - 1


def window_start(as_of: date, days: int) -> date:
    """First calendar day of the last-`days`-days window ending on `as_of` (inclusive)."""
    return as_of - timedelta(days=days - 1)


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Completed months from `start` to `end` (a tenure); 0 when `end` is before `start`."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(0, months)
