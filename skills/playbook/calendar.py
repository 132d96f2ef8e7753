"""The 90-day expansion calendar (seed 002 step 6): five dated phases from the first allowed day."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from skills.evidence import Result
from skills.playbook.timing import Blocker
from skills.rules import Rules

PHASE_ACTIONS = (
    "Opening expansion conversation (script for the latest trigger). Goal: gauge interest, confirm the offer.",
    "Send supporting material if interest is confirmed (ROI snapshot, upgrade overview, similar-customer story). "
    "Follow up once after 5 days.",
    "Send the proposal. If budget or approval is needed, ask for the internal process and offer a business case.",
    "Navigate the internal process: stay close to the champion, reach the economic buyer, handle objections.",
    "Close the expansion or agree a specific future date — a clear next step or a clear 'not this cycle'.",
)


class CalendarPhase(Result):
    days: str
    start: date
    end: date
    action: str


class ExpansionCalendar(Result):
    first_allowed_day: date
    conditions: tuple[str, ...]
    phases: tuple[CalendarPhase, ...]


def first_allowed_day(as_of: date, found: tuple[Blocker, ...]) -> date:
    """The earliest day no dated blocker forbids; undated blockers become conditions instead."""
    return max([as_of, *(b.clears_on for b in found if b.clears_on is not None)])


@cache
def dated_phases(start: date, spans: tuple[tuple[int, int], ...]) -> tuple[CalendarPhase, ...]:
    """The phases from `start`; shared by every account with the same first day (they are immutable)."""
    return tuple(
        CalendarPhase(
            days=f"{lo}–{hi}",
            start=start + timedelta(days=lo - 1),
            end=start + timedelta(days=hi - 1),
            action=PHASE_ACTIONS[i % len(PHASE_ACTIONS)],
        )
        for i, (lo, hi) in enumerate(spans)
    )


def expansion_calendar(as_of: date, found: tuple[Blocker, ...], rules: Rules) -> ExpansionCalendar:
    start = first_allowed_day(as_of, found)
    conditions = tuple(b.detail for b in found if b.clears_on is None)
    return ExpansionCalendar(
        first_allowed_day=start, conditions=conditions, phases=dated_phases(start, rules.calendar.phases)
    )
