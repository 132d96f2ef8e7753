"""Expansion type (seed 002 step 2, seed 000): one offer per account — the first rule that holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from skills.catalog import ExpansionType, normalise_term
from skills.conversations.cited import ALIGNING, signals_about
from skills.evidence import EvidenceLine, Result, pct
from skills.playbook.readiness_score import module_mentions, unowned_modules
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, RegionUsage, Source
from skills.usage.summary import UsageSummary


class ExpansionChoice(Result):
    type: ExpansionType
    reason: EvidenceLine
    unevaluated: tuple[ExpansionType, ...] = ()
    next_tier: str | None = None
    module_id: str | None = None
    new_regions: tuple[RegionUsage, ...] = ()
    chosen_by_csm: bool = False
    rule_choice: ExpansionType | None = None


def _seat_growth(u: UsageSummary, rules: Rules) -> str | None:
    parts = []
    if u.utilisation is not None and u.utilisation >= rules.signals.capacity_utilisation:
        parts.append(f"{pct(u.utilisation)} of seats in use")
    if u.sharing_users:
        parts.append(f"{len(u.sharing_users)} user(s) sharing credentials")
    if u.new_departments:
        parts.append("new department(s) " + ", ".join(d.department for d in u.new_departments))
    return "; ".join(parts) or None


def _tier_upgrade(snapshot: AccountSnapshot, u: UsageSummary, rules: Rules) -> tuple[str, int] | None:
    nxt = rules.catalog.next_tier(snapshot.account.plan_tier)
    if nxt is None:
        return None
    wanted = {normalise_term(f) for f in nxt.features}
    hits = sum(n for feature, n in u.gate_hits_90d.items() if normalise_term(feature) in wanted)
    return (nxt.id, hits) if hits >= rules.types.tier_upgrade_min_gate_hits else None


def _cross_sell(snapshot: AccountSnapshot, rules: Rules) -> tuple[str, str] | None:
    window = rules.signals.interaction_window_days
    named_in = module_mentions(snapshot, rules.catalog, window)
    counts = Counter({module_id: len(named) for module_id, named in named_in})
    asked = Counter(s.catalog_id for s in signals_about(snapshot, {m for m, _ in named_in}, ALIGNING, window))
    named = [(module_id, n + asked[module_id]) for module_id, n in counts.items() if n + asked[module_id] > 0]
    if not named:
        return None
    module_id, n = max(named, key=lambda kv: kv[1])  # stable: catalog order wins ties
    if not asked[module_id]:
        return module_id, f"{n} mention(s) of the {module_id} module's keywords in the last 90 days"
    return module_id, f"{n} mention(s) or request(s) of the {module_id} module in the last 90 days"


def holding_offers(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> tuple[ExpansionChoice, ...]:
    """Every rule whose signal holds, in SPEC order; professional services (adoption help) always holds.

    Rules that need a missing source are skipped and listed in `unevaluated`, never assumed.
    """
    return tuple(offers_in_order(snapshot, usage, rules))


def offers_in_order(snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules) -> Iterator[ExpansionChoice]:
    """`holding_offers` one rule at a time, each evaluated only when asked for: the choice stops at
    the first that holds (most often seat growth), so the later rules' text scans never run."""
    account = snapshot.account
    skipped: tuple[ExpansionType, ...] = ()
    if usage is None:
        skipped = ("seat_growth", "tier_upgrade", "geographic_expansion")
    else:
        seat_reason = _seat_growth(usage, rules)
        if seat_reason:
            yield ExpansionChoice(type="seat_growth", reason=EvidenceLine(text=seat_reason, source=Source.usage))
        upgrade = _tier_upgrade(snapshot, usage, rules)
        if upgrade:
            yield (
                ExpansionChoice(
                    type="tier_upgrade",
                    next_tier=upgrade[0],
                    reason=EvidenceLine(
                        text=f"{upgrade[1]} feature-gate hits on {upgrade[0]}-tier features in the last 90 days",
                        source=Source.usage,
                    ),
                )
            )
    cross = None if snapshot.lacks(Source.conversations) else _cross_sell(snapshot, rules)
    if cross:
        yield (
            ExpansionChoice(
                type="cross_sell",
                module_id=cross[0],
                unevaluated=skipped,
                reason=EvidenceLine(text=cross[1], source=Source.conversations),
            )
        )
    if usage is not None and usage.other_regions:
        regions = ", ".join(f"{r.region} ({r.users_90d} users)" for r in usage.other_regions)
        yield (
            ExpansionChoice(
                type="geographic_expansion",
                new_regions=usage.other_regions,
                unevaluated=skipped,
                reason=EvidenceLine(
                    text=f"usage from outside {account.region} in the last 90 days: {regions}", source=Source.usage
                ),
            )
        )
    to_renewal = (account.renewal_date - snapshot.as_of).days
    if (
        0 <= to_renewal <= rules.types.multi_year_renewal_max_days
        and account.health_score >= rules.types.multi_year_renewal_min_health
    ):
        yield (
            ExpansionChoice(
                type="multi_year_renewal",
                unevaluated=skipped,
                reason=EvidenceLine(
                    text=f"renewal in {to_renewal} days with health {account.health_score:g}", source=Source.crm
                ),
            )
        )
    yield ExpansionChoice(
        type="professional_services",
        unevaluated=skipped,
        reason=EvidenceLine(
            text="no capacity, upgrade, cross-sell, regional or renewal signal: adoption help is the offer",
            source=Source.usage,
        ),
    )


def expansion_type(
    snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules, value_of: Callable[[ExpansionChoice], float]
) -> ExpansionChoice:
    """The first rule that holds, where a rule whose priced value (`value_of`, see skills.proposal.pricing)
    would be 0 does not hold — e.g. seat growth with no seats to add: the next rule is tried.

    Professional services is the last resort and is returned even when the catalog prices it at 0.
    """
    passed: list[ExpansionChoice] = []
    for chosen in offers_in_order(snapshot, usage, rules):
        if chosen.type == "professional_services" or value_of(chosen) > 0:
            break
        passed.append(chosen)
    if not passed:
        return chosen
    why = ", ".join(c.type for c in passed)
    reason = chosen.reason.model_copy(update={"text": f"{chosen.reason.text} ({why} would add nothing: priced at 0)"})
    return chosen.model_copy(update={"reason": reason})


def forced_offer(
    snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules, chosen: ExpansionType
) -> ExpansionChoice:
    """The offer for a type the CSM picked instead of the rule's choice; ValueError when it cannot apply here.

    The CSM owns framing (seed 000), so the desk prices the type they chose, but never invents a
    tier above the top one, a module the account already owns, or a region nobody works from.
    """
    return _forced(snapshot, usage, rules, chosen).model_copy(update={"chosen_by_csm": True})


def _forced(
    snapshot: AccountSnapshot, usage: UsageSummary | None, rules: Rules, chosen: ExpansionType
) -> ExpansionChoice:
    account, catalog = snapshot.account, rules.catalog

    def because(text: str, source: Source) -> EvidenceLine:
        return EvidenceLine(text=f"chosen by the CSM: {text}", source=source)

    if chosen in ("seat_growth", "tier_upgrade", "geographic_expansion") and usage is None:
        raise ValueError(f"{chosen} needs usage data, which is missing for {account.account_id}")
    if chosen == "seat_growth" and usage is not None:
        reason = (
            _seat_growth(usage, rules) or f"{usage.active_users_30d} active users on {account.seats_licensed} seats"
        )
        return ExpansionChoice(type=chosen, reason=because(reason, Source.usage))
    if chosen == "tier_upgrade":
        nxt = catalog.next_tier(account.plan_tier)
        if nxt is None:
            raise ValueError(
                f"{account.account_id} is on the {account.plan_tier} tier: there is no higher tier in the catalog"
            )
        return ExpansionChoice(
            type=chosen, next_tier=nxt.id, reason=because(f"{account.plan_tier} → {nxt.id}", Source.catalog)
        )
    if chosen == "cross_sell":
        unowned = unowned_modules(snapshot, catalog)
        if not unowned:
            raise ValueError(f"{account.account_id} already owns every module in the catalog")
        named = None if snapshot.lacks(Source.conversations) else _cross_sell(snapshot, rules)
        if named:
            return ExpansionChoice(type=chosen, module_id=named[0], reason=because(named[1], Source.conversations))
        module_id = unowned[0][0]
        return ExpansionChoice(
            type=chosen, module_id=module_id, reason=because(f"first unowned module {module_id}", Source.catalog)
        )
    if chosen == "geographic_expansion":
        if usage is None or not usage.other_regions:
            raise ValueError(f"{account.account_id} has no usage from outside {account.region} in the last 90 days")
        regions = ", ".join(f"{r.region} ({r.users_90d} users)" for r in usage.other_regions)
        return ExpansionChoice(
            type=chosen, new_regions=usage.other_regions, reason=because(f"usage from {regions}", Source.usage)
        )
    if chosen == "multi_year_renewal":
        days = (account.renewal_date - snapshot.as_of).days
        return ExpansionChoice(type=chosen, reason=because(f"renewal in {days} days", Source.crm))
    return ExpansionChoice(type=chosen, reason=because("adoption help", Source.catalog))
