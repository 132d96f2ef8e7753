"""For a failed readiness gate: what to fix, with the figure that failed ("re-engage the champion:
last contact 74 days ago")."""

from __future__ import annotations

from skills.days import age_days
from skills.discovery.readiness_gate import GateCheckId, ReadinessGate
from skills.evidence import Result
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source


class GateFix(Result):
    check: GateCheckId
    action: str
    source: Source


def _health(snapshot: AccountSnapshot, rules: Rules) -> str:
    a, g = snapshot.account, rules.gate
    now = f"now {a.health_score:g}, trend {a.health_trend}"
    if a.health_score >= g.recovering_min:
        return f"raise health to {g.healthy_min:g}, or get the trend up ({now})"
    return f"raise health to {g.recovering_min:g} and trending up, or to {g.healthy_min:g} ({now})"


def _outcome(snapshot: AccountSnapshot) -> str:
    if snapshot.lacks(Source.outcomes):
        reason = next((m.reason for m in snapshot.missing if m.kind == Source.outcomes), "source missing")
        return f"get the outcomes data to check for a proven outcome ({reason})"
    return "record a measurable outcome with the customer: none on record yet"


def _champion(snapshot: AccountSnapshot, rules: Rules) -> str:
    champions = [c for c in snapshot.contacts if c.role == "champion"]
    if not champions:
        return "name a champion: none on record"
    active = [c for c in champions if c.status == "active"]
    if not active:
        names = ", ".join(c.first_name or c.contact_id for c in champions)
        return f"find a new champion: {names} left the company"
    engaged = [c for c in active if c.last_engaged_at is not None and age_days(snapshot.as_of, c.last_engaged_at) >= 0]
    if not engaged:
        return "re-engage the champion: no contact on record"
    latest = max(engaged, key=lambda c: (c.last_engaged_at, c.contact_id))
    days = age_days(snapshot.as_of, latest.last_engaged_at)  # type: ignore[arg-type]
    return (
        f"re-engage the champion: last contact {days} days ago "
        f"({latest.first_name or latest.contact_id}, {latest.last_engaged_at}; needs one in the last "
        f"{rules.gate.champion_engaged_days} days)"
    )


def gate_fixes(snapshot: AccountSnapshot, gate: ReadinessGate, rules: Rules) -> tuple[GateFix, ...]:
    """One fix per failed (or unknown) check, in the gate's order; none when the gate passed."""
    fixes = []
    for check in gate.checks:
        if check.passed:
            continue
        if check.id == "health":
            action = _health(snapshot, rules)
        elif check.id == "outcome_achieved":
            action = _outcome(snapshot)
        else:
            action = _champion(snapshot, rules)
        fixes.append(GateFix(check=check.id, action=action, source=check.source))
    return tuple(fixes)
