"""Readiness gate (seed 001): expand only a healthy footprint — health, a proven outcome, a live champion."""

from __future__ import annotations

from typing import Literal

from skills.days import age_days, within_last
from skills.enrichment import champion_left
from skills.evidence import Result, day
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source

GateCheckId = Literal["health", "outcome_achieved", "active_champion"]


class GateCheck(Result):
    id: GateCheckId
    passed: bool | None
    evidence: str
    source: Source


class ReadinessGate(Result):
    passed: bool
    reasons: tuple[str, ...]
    checks: tuple[GateCheck, ...]


def _health(snapshot: AccountSnapshot, rules: Rules) -> GateCheck:
    a, g = snapshot.account, rules.gate
    ok = a.health_score >= g.healthy_min or (
        g.recovering_min <= a.health_score < g.healthy_min and a.health_trend == "up"
    )
    text = f"health {a.health_score:g}/100, trend {a.health_trend}"
    if not ok:
        text += f" (needs ≥ {g.healthy_min:g}, or {g.recovering_min:g}–{g.healthy_min - 1:g} trending up)"
    return GateCheck(id="health", passed=ok, evidence=text, source=Source.crm)


def _outcome(snapshot: AccountSnapshot) -> GateCheck:
    if snapshot.lacks(Source.outcomes):
        return GateCheck(id="outcome_achieved", passed=None, evidence="outcomes data missing", source=Source.outcomes)
    achieved = [o for o in snapshot.outcomes if age_days(snapshot.as_of, o.ts) >= 0]
    if not achieved:
        return GateCheck(
            id="outcome_achieved", passed=False, evidence="no measurable outcome recorded yet", source=Source.outcomes
        )
    first = min(achieved, key=lambda o: o.ts)
    text = f"{len(achieved)} outcome(s) recorded, first on {day(first.ts)}: {first.description or first.metric}"
    return GateCheck(id="outcome_achieved", passed=True, evidence=text, source=Source.outcomes)


def _champion(snapshot: AccountSnapshot, rules: Rules) -> GateCheck:
    """An enrichment provider that shows the champion at another company fails the check, whatever the CRM says."""
    left = champion_left(snapshot, rules)
    if left is not None:
        crm_says = (
            " although the CRM still lists them as active"
            if any(c.status == "active" and c.role == "champion" for c in snapshot.contacts)
            else ""
        )
        text = f"{left.detail}{crm_says} — find a new champion"
        return GateCheck(id="active_champion", passed=False, evidence=text, source=left.source)
    days = rules.gate.champion_engaged_days
    champions = [c for c in snapshot.contacts if c.role == "champion"]
    engaged = [c for c in champions if c.status == "active" and within_last(snapshot.as_of, c.last_engaged_at, days)]
    if engaged:
        c = max(engaged, key=lambda c: (c.last_engaged_at, c.contact_id))
        text = f"champion {c.first_name or c.contact_id} ({c.title or 'no title'}) engaged on {c.last_engaged_at}"
        return GateCheck(id="active_champion", passed=True, evidence=text, source=Source.crm)
    if not champions:
        text = "no champion on record"
    elif all(c.status == "left" for c in champions):
        text = "the champion has left the company"
    else:
        text = f"champion not engaged in the last {days} days"
    return GateCheck(id="active_champion", passed=False, evidence=text, source=Source.crm)


def readiness_gate(snapshot: AccountSnapshot, rules: Rules) -> ReadinessGate:
    """A failed or unknown check fails the gate: the proposal becomes a "fix the footprint first" brief."""
    checks = (_health(snapshot, rules), _outcome(snapshot), _champion(snapshot, rules))
    reasons = tuple(
        ("unknown: " if c.passed is None else "") + f"{c.source.citation} {c.evidence}" for c in checks if not c.passed
    )
    return ReadinessGate(passed=not reasons, reasons=reasons, checks=checks)
