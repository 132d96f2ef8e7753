"""Switching cost (seed 000): the customer's negotiating position. Internal only — never customer-facing."""

from __future__ import annotations

from typing import Literal

from skills.days import whole_months_between
from skills.evidence import Result
from skills.rules import Rules
from skills.snapshot import AccountSnapshot


class SwitchingCost(Result):
    level: Literal["High", "Medium", "Low"] | None
    factors: tuple[str, ...]
    detail: str


def switching_cost(snapshot: AccountSnapshot, active_users_30d: int | None, rules: Rules) -> SwitchingCost:
    a, v = snapshot.account, rules.value
    tenure_months = whole_months_between(a.contract_start, snapshot.as_of)
    held = {
        f"{a.integrations_count} integrations": a.integrations_count >= v.switching_integrations,
        f"{active_users_30d} active users": active_users_30d is not None
        and active_users_30d >= v.switching_active_users,
        f"{tenure_months} months as a customer": tenure_months >= v.switching_tenure_months,
    }
    factors = tuple(k for k, ok in held.items() if ok)
    detail = ", ".join(held)
    if active_users_30d is None and len(factors) < 2:
        return SwitchingCost(level=None, factors=factors, detail=detail + " (usage missing: level unknown)")
    level: Literal["High", "Medium", "Low"] = "High" if len(factors) >= 2 else "Medium" if factors else "Low"
    return SwitchingCost(level=level, factors=factors, detail=detail)
