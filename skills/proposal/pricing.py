"""Pricing (SPEC §3): the standard price of the one offer. Discount authority is internal only."""

from __future__ import annotations

import math

from skills.catalog import EXPANSION_TYPES, ExpansionType
from skills.evidence import Result, money
from skills.playbook.expansion_type import ExpansionChoice, expansion_type, holding_offers
from skills.rules import Rules
from skills.snapshot import AccountSnapshot
from skills.usage.summary import UsageSummary


class PriceQuote(Result):
    expansion_type: ExpansionType
    currency: str
    current_arr: float
    proposed_expansion_value: float
    total_proposed_arr: float
    seats_added: int = 0
    basis: str
    discount_authority: float = 0.0


def round_up_to_pack(seats: float, pack: int) -> int:
    return math.ceil(seats / pack) * pack if seats > 0 else 0


def seats_needed(usage: UsageSummary, seats_licensed: int, rules: Rules) -> int:
    """Seats to add so demand (active + sharing users) sits at the target utilisation, in packs."""
    extra = max(0, math.ceil(usage.demand / rules.catalog.target_utilisation) - seats_licensed)
    return round_up_to_pack(extra, rules.catalog.seat_pack)


def price(snapshot: AccountSnapshot, choice: ExpansionChoice, usage: UsageSummary | None, rules: Rules) -> PriceQuote:
    a, catalog = snapshot.account, rules.catalog
    seats, value = 0, 0.0
    t = choice.type
    if t == "seat_growth" and usage is not None:
        seats = seats_needed(usage, a.seats_licensed, rules)
        value = seats * a.price_per_seat
        basis = (
            f"demand {usage.demand} ({usage.active_users_30d} active + {len(usage.sharing_users)} sharing) at "
            f"{catalog.target_utilisation:.0%} target on {a.seats_licensed} seats: +{seats} seats × "
            f"{money(a.price_per_seat, a.currency)}"
        )
    elif t == "tier_upgrade" and choice.next_tier:
        current, nxt = catalog.tier(a.plan_tier), catalog.tier(choice.next_tier)
        delta = (nxt.per_seat_price if nxt else 0) - (current.per_seat_price if current else a.price_per_seat)
        value = max(0.0, delta) * a.seats_licensed
        basis = f"{a.plan_tier} → {choice.next_tier}: {money(delta, a.currency)} per seat × {a.seats_licensed} seats"
    elif t == "cross_sell" and choice.module_id:
        module = catalog.module(choice.module_id)
        value = module.annual_price if module else 0.0
        basis = f"{module.name if module else choice.module_id} module list price per year"
    elif t == "geographic_expansion":
        users = sum(r.users_90d for r in choice.new_regions)
        seats = round_up_to_pack(users, catalog.seat_pack)
        value = seats * a.price_per_seat
        basis = f"{users} active users (90d) in new regions → {seats} seats × {money(a.price_per_seat, a.currency)}"
    elif t == "multi_year_renewal":
        value = a.arr * catalog.services.multi_year_uplift
        basis = f"{catalog.services.multi_year_uplift:.0%} multi-year uplift on current ARR"
    else:
        value = catalog.services.professional_services_price
        basis = "professional services package list price"
    value = round(value, 2)
    return PriceQuote(
        expansion_type=t,
        currency=a.currency,
        current_arr=a.arr,
        proposed_expansion_value=value,
        total_proposed_arr=round(a.arr + value, 2),
        seats_added=seats,
        basis=basis,
        discount_authority=catalog.discount_authority.get(t, 0.0),
    )


def priced(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> tuple[ExpansionChoice, PriceQuote]:
    """The one offer (SPEC §3 Expansion type: the first rule that holds and prices above 0) and its quote."""
    choice = expansion_type(snapshot, usage, rules, lambda c: price(snapshot, c, usage, rules).proposed_expansion_value)
    return choice, price(snapshot, choice, usage, rules)


def other_plays(
    snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules, primary: ExpansionType, limit: int = 2
) -> tuple[tuple[ExpansionChoice, PriceQuote], ...]:
    """Seed 003 "Recommended plays": other rules that hold and price above 0, by value (highest first).

    Professional services is the "otherwise" rule: it never holds beside another offer.
    """
    others = [c for c in holding_offers(snapshot, usage, rules) if c.type not in (primary, "professional_services")]
    quotes = [(c, price(snapshot, c, usage, rules)) for c in others]
    held = [(c, q) for c, q in quotes if q.proposed_expansion_value > 0]
    order = {t: i for i, t in enumerate(EXPANSION_TYPES)}
    held.sort(key=lambda cq: (-cq[1].proposed_expansion_value, order[cq[0].type]))
    return tuple(held[:limit])
