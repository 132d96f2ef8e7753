"""The 90-day expansion calendar (seed 002 step 6): five dated phases from the first allowed day.

Before a renewal (SPEC §3 Calendar): no phase ends later than 14 days before the renewal date. When the
90 days would cross that line the phases are compressed in proportion to end on it; with fewer than 21
days left the plan is one step, "co-term the expansion with the renewal".
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Literal

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


RENEWAL_MARGIN_DAYS = 14
MIN_PLAN_DAYS = 21
CO_TERM_ACTION = (
    "Co-term the expansion with the renewal: raise it in the renewal conversation rather than as a separate "
    "proposal, so it is signed with the renewal contract."
)


class ExpansionCalendar(Result):
    first_allowed_day: date
    conditions: tuple[str, ...]
    phases: tuple[CalendarPhase, ...]
    ends_by: date | None = None
    fitted_to_renewal: Literal["compressed", "co_term"] | None = None


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


def compressed_spans(spans: tuple[tuple[int, int], ...], days: int) -> tuple[tuple[int, int], ...]:
    """The phases scaled in proportion to fit `days` (the last phase ends on day `days`), each at least a day."""
    total = spans[-1][1]
    out: list[tuple[int, int]] = []
    for i, (_, hi) in enumerate(spans):
        lo = out[-1][1] + 1 if out else 1
        end = days if i == len(spans) - 1 else max(lo, min(days - (len(spans) - 1 - i), hi * days // total))
        out.append((lo, end))
    return tuple(out)


def expansion_calendar(
    as_of: date, found: tuple[Blocker, ...], rules: Rules, renewal_date: date | None = None
) -> ExpansionCalendar:
    """The dated phases; a renewal ahead (not already passed) bounds them at renewal − 14 days."""
    start = first_allowed_day(as_of, found)
    conditions = tuple(b.detail for b in found if b.clears_on is None)
    spans = rules.calendar.phases
    full = ExpansionCalendar(first_allowed_day=start, conditions=conditions, phases=dated_phases(start, spans))
    if renewal_date is None or renewal_date < as_of:
        return full
    line = renewal_date - timedelta(days=RENEWAL_MARGIN_DAYS)
    if full.phases[-1].end <= line:
        return full
    days = (line - start).days + 1
    if days < MIN_PLAN_DAYS:
        end = max(start, line)
        step = CalendarPhase(days=f"1–{(end - start).days + 1}", start=start, end=end, action=CO_TERM_ACTION)
        return full.model_copy(update={"phases": (step,), "ends_by": line, "fitted_to_renewal": "co_term"})
    phases = dated_phases(start, compressed_spans(spans, days))
    return full.model_copy(update={"phases": phases, "ends_by": line, "fitted_to_renewal": "compressed"})
