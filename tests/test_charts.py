"""The charts every surface shares: labelled axes with units, the account's currency, escaped labels,
theme-following ink, and the same SVG for the same data."""

from __future__ import annotations

import re
from datetime import date, timedelta

from server import charts
from skills.playbook.calendar import CalendarPhase
from skills.playbook.readiness_score import Signal
from skills.playbook.timing import Trigger
from skills.snapshot import CapacityPoint, Source

AS_OF = date(2026, 11, 23)


def signals() -> list[Signal]:
    return [
        Signal(id="capacity", points=12, weight=12, met=True, evidence="e", source=Source.usage),
        Signal(id="promoter", points=0, weight=7, met=None, evidence="e", source=Source.conversations),
    ]


def test_signals_chart_shows_earned_of_possible_with_currency() -> None:
    svg = charts.signals_chart(signals(), 12, "EUR", 41000)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "points (earned of possible)" in svg
    assert "12/12" in svg and "unknown" in svg, "an unknown signal is not drawn as unmet"
    assert "EUR 41,000" in svg
    assert charts.INK not in svg and "currentColor" in svg


def test_usage_chart_draws_26_weeks_against_seats_with_units() -> None:
    points = [CapacityPoint(day=AS_OF - timedelta(days=7 * k), active_users_30d=30 + k % 3) for k in range(26)]
    svg = charts.usage_chart(points, 40, "GBP", 800, 0.8)
    for text in ("users", "week ending", "licensed seats (40)", "80% of seats", "GBP 800 per seat per year"):
        assert text in svg, text
    ticks = sorted(date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", svg))
    assert ticks[0] <= AS_OF - timedelta(days=7 * 22) and ticks[-1] >= AS_OF - timedelta(days=7 * 4)


def test_timeline_chart_places_triggers_phases_and_renewal() -> None:
    triggers = [Trigger(id="outcome_reported", date=AS_OF - timedelta(days=20), detail="d", source=Source.outcomes)]
    phases = [CalendarPhase(days="1–7", start=AS_OF, end=AS_OF + timedelta(days=6), action="a")]
    svg = charts.timeline_chart(AS_OF, triggers, phases, date(2027, 3, 1), "USD", 12000)
    for text in ("outcome reported", "days 1–7", "renewal 2027-03-01", f"as of {AS_OF}", "USD 12,000", ">date<"):
        assert text in svg, text


def test_labels_are_escaped_and_dollar_signs_are_not_maths() -> None:
    svg = charts.value_chart(1000, 500, '<b>"$"</b>')
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "$" in svg


def test_same_data_gives_the_same_svg() -> None:
    assert charts.signals_chart(signals(), 12, "USD", 1) == charts.signals_chart(signals(), 12, "USD", 1)
