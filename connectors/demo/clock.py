"""Date and time strings for event ages, precomputed once per run."""

from __future__ import annotations

from datetime import date, timedelta

USAGE_DAYS = 150  # events have ages 1..149 days: "the last ~150 days", never on or after as_of


class Clock:
    """Precomputed date and time strings, because formatting 5M timestamps dominates the run time."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.days = [(as_of - timedelta(days=age)).isoformat() + "T" for age in range(USAGE_DAYS + 1)]
        self.times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]

    def day(self, age: int) -> str:
        return (self.as_of - timedelta(days=age)).isoformat()

    def ts(self, age: int, second: int) -> str:
        day = self.days[age] if age <= USAGE_DAYS else self.day(age) + "T"
        return day + self.times[second]
