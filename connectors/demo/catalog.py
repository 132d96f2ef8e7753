"""The demo catalog and the SPEC §2 file columns the generator writes."""

from __future__ import annotations

from typing import Any

from connectors.demo.vocabulary import words

COLUMNS: dict[str, tuple[str, ...]] = {  # SPEC §2, in order
    "accounts.csv": words(
        "account_id name domain industry segment region csm_owner plan_tier products currency arr seats_licensed"
        " price_per_seat contract_start renewal_date employees_at_signing employees_now revenue_at_signing"
        " revenue_now health_score health_trend integrations_count"
    ),
    "contacts.csv": words("contact_id account_id first_name title role department status last_engaged_at"),
    "deals.csv": words("deal_id account_id name amount stage type close_date products"),
    "usage_events.csv": words("ts account_id user_id department region event feature device_id"),
    "tickets.csv": words("ticket_id account_id priority status opened_at subject"),
    "interactions.csv": words("interaction_id account_id ts source text nps_score"),
    "outcomes.csv": words("account_id ts metric value unit description"),
    "arr_history.csv": words("account_id month arr"),  # SPEC §6, optional in a workspace
}

TIERS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("starter", 400, ("workflows", "templates")),
    ("growth", 800, ("automations", "api", "custom fields")),
    ("enterprise", 1200, ("sso", "audit log", "sandbox")),
)
TIER_IDS = tuple(t for t, _, _ in TIERS)
OWN_FEATURES = {t: [f for _, _, fs in TIERS[: n + 1] for f in fs] for n, t in enumerate(TIER_IDS)}
MODULES: tuple[tuple[str, str, int, tuple[str, ...], int], ...] = (
    ("analytics", "Advanced Reporting", 9000, ("dashboards", "reporting", "analytics"), 120),
    ("forecasting", "Revenue Forecasting", 12000, ("forecasting", "forecast", "pipeline"), 200),
    ("integrations", "Integrations Hub", 6000, ("integrations", "integration", "connectors"), 150),
    ("compliance", "Compliance Suite", 15000, ("compliance", "gdpr", "data residency"), 160),
)
CATALOG: dict[str, Any] = {
    "tiers": [{"id": t, "per_seat_price": p, "features": list(f)} for t, p, f in TIERS],
    "modules": [
        {
            "id": m,
            "name": n,
            "annual_price": p,
            "keywords": list(k),
            "expected_outcome": {"metric": "hours_saved", "value": h, "per": "year"},
        }
        for m, n, p, k, h in MODULES
    ],
    "services": {"multi_year_uplift": 0.05, "professional_services_price": 15000},
    "seat_pack": 5,
    "target_utilisation": 0.75,
    "discount_authority": {
        "seat_growth": 0.10,
        "tier_upgrade": 0.05,
        "cross_sell": 0.05,
        "geographic_expansion": 0.05,
        "multi_year_renewal": 0.03,
        "professional_services": 0.10,
    },
    "hourly_value": 60,
    "fiscal_year_start_month": 1,
    "quarter_end_blackout_days": 14,
}


def module_total(products: list[str]) -> int:
    return sum(p for m, _, p, _, _ in MODULES if m in products)
