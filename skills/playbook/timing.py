"""Timing (seeds 002, 000): what blocks an expansion conversation now, and what triggers it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from skills.conversations.cited import ALIGNING, cited, signals_about
from skills.days import add_months
from skills.enrichment import champion_promoted
from skills.evidence import Result, day, pct, quote, recent_interactions, recent_outcomes
from skills.playbook.readiness_score import module_mentions, unowned_modules
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source
from skills.usage.summary import UsageSummary

BlockerId = Literal["open_critical_ticket", "no_recent_contact", "quarter_end"]
TriggerId = Literal[
    "outcome_reported",
    "capacity_reached",
    "team_growth",
    "initiative_mentioned",
    "renewal_in_90_days",
    "champion_promoted",
]


class Blocker(Result):
    """`unknown` marks a check that could not run for lack of data: treated as blocking until verified."""

    id: BlockerId
    detail: str
    source: Source
    clears_on: date | None = None
    unknown: bool = False


def _unverified(blocker_id: BlockerId, source: Source, snapshot: AccountSnapshot, what: str) -> Blocker:
    reason = next((m.reason for m in snapshot.missing if m.kind == source), "source missing")
    return Blocker(
        id=blocker_id,
        source=source,
        unknown=True,
        detail=f"unknown: {reason} — {what} before any expansion conversation",
    )


class Trigger(Result):
    id: TriggerId
    date: date | None
    detail: str
    source: Source


def fiscal_quarter_end(as_of: date, fiscal_year_start_month: int) -> date:
    months_in = (as_of.month - fiscal_year_start_month) % 12
    quarter_start = add_months(as_of.replace(day=1), -(months_in % 3))
    return add_months(quarter_start, 3) - timedelta(days=1)


def blockers(snapshot: AccountSnapshot, rules: Rules) -> tuple[Blocker, ...]:
    out: list[Blocker] = []
    if snapshot.lacks(Source.support):
        out.append(_unverified("open_critical_ticket", Source.support, snapshot, "check for open P1/P2 tickets"))
    critical = sorted(
        (
            t
            for t in snapshot.tickets
            if t.status in ("open", "pending")
            and t.priority in rules.timing.critical_priorities
            and t.opened_at <= snapshot.as_of
        ),
        key=lambda t: (t.priority, t.opened_at, t.ticket_id),
    )
    for t in critical:
        out.append(
            Blocker(
                id="open_critical_ticket",
                source=Source.support,
                detail=f"{t.priority} ticket {t.ticket_id} {t.status} since {day(t.opened_at)}: {quote(t.subject, 60)} — resolve first",
            )
        )
    contact_days = rules.timing.no_recent_contact_days
    if snapshot.lacks(Source.conversations):
        out.append(_unverified("no_recent_contact", Source.conversations, snapshot, "confirm recent contact"))
    elif not recent_interactions(snapshot, contact_days):
        out.append(
            Blocker(
                id="no_recent_contact",
                source=Source.conversations,
                detail=f"no interaction in the last {contact_days} days — re-establish the relationship first",
            )
        )
    quarter_end = fiscal_quarter_end(snapshot.as_of, rules.catalog.fiscal_year_start_month)
    days_left = (quarter_end - snapshot.as_of).days
    if days_left < rules.catalog.quarter_end_blackout_days:
        out.append(
            Blocker(
                id="quarter_end",
                source=Source.catalog,
                clears_on=quarter_end + timedelta(days=1),
                detail=f"fiscal quarter ends {day(quarter_end)} ({days_left} days away) — it reads as pressure; wait",
            )
        )
    return tuple(out)


def triggers(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> tuple[Trigger, ...]:
    """Each trigger that occurred in the trigger window, most recent first (undated last)."""
    window = rules.timing.trigger_window_days
    found: list[Trigger] = []
    outcomes = recent_outcomes(snapshot, window)
    if outcomes:
        latest = outcomes[0]
        found.append(Trigger(id="outcome_reported", date=latest.ts, source=Source.outcomes, detail=latest.text))
    if usage is not None and usage.capacity_reached_on is not None and usage.utilisation is not None:
        found.append(
            Trigger(
                id="capacity_reached",
                date=usage.capacity_reached_on,
                source=Source.usage,
                detail=f"utilisation at {pct(usage.utilisation)}, at or above "
                f"{pct(rules.timing.capacity_trigger_utilisation)} since {day(usage.capacity_reached_on)}",
            )
        )
    if usage is not None and usage.new_departments:
        d = usage.new_departments[0]
        found.append(
            Trigger(
                id="team_growth",
                date=d.first_seen,
                source=Source.usage,
                detail=f"{d.department} started using the product ({d.users} users)",
            )
        )
    else:
        account = snapshot.account
        if account.headcount_grew:
            found.append(
                Trigger(
                    id="team_growth",
                    date=None,
                    source=Source.crm,
                    detail=f"headcount grew from {account.employees_at_signing} to {account.employees_now}",
                )
            )
    unowned = {module_id for module_id, _ in unowned_modules(snapshot, rules.catalog)}
    extracted = signals_about(snapshot, unowned, ALIGNING, window)
    named = [pair for _, pairs in module_mentions(snapshot, rules.catalog, window) for pair in pairs]
    newest_named = max((i.ts.date() for i, _ in named), default=None)
    if extracted and (newest_named is None or extracted[0].day >= newest_named):
        text, source = cited(snapshot, extracted[0])
        found.append(
            Trigger(
                id="initiative_mentioned",
                date=extracted[0].day,
                source=source,
                detail=f"{text} — {extracted[0].catalog_id} module not owned",
            )
        )
    elif named:
        i, keyword = max(named, key=lambda pair: (pair[0].ts, pair[0].interaction_id))
        found.append(
            Trigger(
                id="initiative_mentioned",
                date=i.ts.date(),
                source=Source.conversations,
                detail=f'{keyword} named in a {i.source}: "{quote(i.text)}"',
            )
        )
    promoted = champion_promoted(snapshot, rules, window)
    if promoted is not None:  # seed 003: a champion's promotion is perfect upsell timing
        found.append(Trigger(id="champion_promoted", date=promoted.day, source=promoted.source, detail=promoted.detail))
    to_renewal = (snapshot.account.renewal_date - snapshot.as_of).days
    if 0 <= to_renewal <= rules.timing.renewal_trigger_days:
        found.append(
            Trigger(
                id="renewal_in_90_days",
                source=Source.crm,
                date=snapshot.account.renewal_date - timedelta(days=rules.timing.renewal_trigger_days),
                detail=f"renewal on {day(snapshot.account.renewal_date)}, {to_renewal} days away",
            )
        )
    return tuple(sorted(found, key=lambda t: (t.date is not None, t.date or date.min), reverse=True))
