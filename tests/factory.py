"""Builders for test data: snapshots for the pure calculators, CSV workspaces for the SQL path."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.usage_events import USAGE_COLUMNS
from connectors.workspace import RECORD_FILES
from skills.catalog import DEFAULT_CATALOG
from skills.snapshot import (
    Account,
    AccountSnapshot,
    Contact,
    DepartmentSpread,
    Interaction,
    Outcome,
    RegionUsage,
    SharingUser,
    Ticket,
    UsageFacts,
)

AS_OF = date(2026, 11, 16)  # mid-quarter: no quarter_end blocker unless a test wants one


def ago(days: int, as_of: date = AS_OF) -> date:
    return as_of - timedelta(days=days)


def at(days: int, hour: int = 10, minute: int = 0, as_of: date = AS_OF) -> datetime:
    return datetime.combine(ago(days, as_of), datetime.min.time()).replace(hour=hour, minute=minute)


def account(**overrides: Any) -> Account:
    base: dict[str, Any] = {
        "account_id": "ACC-1",
        "name": "Acme Analytics",
        "domain": "acme.example",
        "industry": "software",
        "segment": "mid_market",
        "region": "NA",
        "csm_owner": "Dana",
        "plan_tier": "growth",
        "products": (),
        "currency": "USD",
        "arr": 40000,
        "seats_licensed": 50,
        "price_per_seat": 800,
        "contract_start": ago(400),
        "renewal_date": AS_OF + timedelta(days=200),
        "employees_at_signing": 100,
        "employees_now": 100,
        "revenue_at_signing": 1_000_000,
        "revenue_now": 1_000_000,
        "health_score": 80,
        "health_trend": "flat",
        "integrations_count": 1,
    }
    return Account(**{**base, **overrides})


def usage(active_30d: int = 20, **overrides: Any) -> UsageFacts:
    base: dict[str, Any] = {
        "as_of": AS_OF,
        "active_users_30d": active_30d,
        "active_users_90d": max(active_30d, 1),
        "workflow_completions_90d": 100,
        "weekly_active_users": (active_30d,) * 13,
    }
    return UsageFacts(**{**base, **overrides})


def champion(engaged_days_ago: int = 10, status: str = "active") -> Contact:
    return Contact(
        contact_id="C-1",
        account_id="ACC-1",
        first_name="Sarah",
        title="Ops Lead",
        role="champion",
        department="Operations",
        status=status,
        last_engaged_at=ago(engaged_days_ago),
    )  # type: ignore[arg-type]


def interaction(
    days: int, text: str = "Weekly check-in", source: str = "call", nps: int | None = None, iid: str | None = None
) -> Interaction:
    return Interaction(
        interaction_id=iid or f"I-{days}-{source}",
        account_id="ACC-1",
        ts=at(days),
        source=source,
        text=text,
        nps_score=nps,
    )  # type: ignore[arg-type]


def outcome(
    days: int,
    value: float = 340,
    metric: str = "hours_saved",
    unit: str = "hours",
    description: str = "340 hours saved through automated workflows",
) -> Outcome:
    return Outcome(account_id="ACC-1", ts=ago(days), metric=metric, value=value, unit=unit, description=description)


def ticket(priority: str = "P2", status: str = "open", days: int = 5) -> Ticket:
    return Ticket(
        ticket_id=f"T-{priority}-{status}",
        account_id="ACC-1",
        priority=priority,
        status=status,  # type: ignore[arg-type]
        opened_at=ago(days),
        subject="API latency",
    )


def snapshot(acct: Account | None = None, use: UsageFacts | str | None = "default", **records: Any) -> AccountSnapshot:
    """A healthy, quiet account by default; pass records/usage to add the signals a test needs."""
    defaults: dict[str, Any] = {
        "contacts": (champion(),),
        "interactions": (interaction(5),),
        "outcomes": (outcome(200),),
    }
    return AccountSnapshot(
        as_of=AS_OF,
        account=acct or account(),
        usage=usage() if use == "default" else use,  # type: ignore[arg-type]
        **{**defaults, **records},
    )


# --- workspace files -------------------------------------------------------------------------

ACCOUNT_COLUMNS = list(Account.model_fields)


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _cell(row.get(c)) for c in columns})


def _cell(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return ";".join(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def event(
    days: int,
    user: str,
    account_id: str = "ACC-1",
    minute: int = 0,
    hour: int = 10,
    device: str | None = None,
    department: str = "Operations",
    region: str = "NA",
    name: str = "login",
    feature: str = "",
) -> dict[str, Any]:
    return {
        "ts": at(days, hour, minute),
        "account_id": account_id,
        "user_id": user,
        "department": department,
        "region": region,
        "event": name,
        "feature": feature,
        "device_id": device or f"dev-{user}",
    }


def write_workspace(
    root: Path,
    accounts: list[Account],
    events: list[dict[str, Any]],
    records: dict[str, list[Any]] | None = None,
    catalog: dict[str, Any] | None = None,
    manifest_as_of: date | None = AS_OF,
) -> Path:
    """A workspace folder: accounts + usage events always, other files when given."""
    root.mkdir(parents=True, exist_ok=True)
    write_csv(root / "accounts.csv", ACCOUNT_COLUMNS, [a.model_dump() for a in accounts])
    write_csv(root / "usage_events.csv", list(USAGE_COLUMNS), events)
    for file, rows in (records or {}).items():
        write_csv(root / file, list(RECORD_FILES[file][0].model_fields), [r.model_dump() for r in rows])
    (root / "catalog.json").write_text(json.dumps(catalog or DEFAULT_CATALOG.model_dump(mode="json")))
    if manifest_as_of:
        (root / "manifest.json").write_text(json.dumps({"as_of": manifest_as_of.isoformat()}))
    return root


__all__ = ["DepartmentSpread", "RegionUsage", "SharingUser"]
