"""Columnar book scoring: the nine signals, tier, gate, blockers, offer and price for every account
of the book in one pass, one column per rule, without building a model per account.

The per-account calculators (skills/playbook, skills/discovery, skills/proposal) stay the source of
each rule and of its evidence text; this module decides the same things for a whole book so the
desk can rank, filter and count it cheaply, then assess in full only the accounts it prints.
It reads the same thresholds and weights from `Rules` and reuses the calculators' pure helpers
(`readiness_tier`, `round_up_to_pack`, `fiscal_quarter_end`, the day rule, `names_term`);
tests/test_book_scores.py checks both paths agree on every field for every account of generated
books and of every eval case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from skills.book.data import BookData
from skills.catalog import ExpansionType, fold_text, names_term, normalise_term, term_anchor
from skills.days import age_days, window_start, within_last
from skills.playbook.readiness_score import ReadinessTier, SignalId, readiness_tier
from skills.playbook.timing import BlockerId, fiscal_quarter_end
from skills.proposal.pricing import round_up_to_pack
from skills.rules import Rules
from skills.snapshot import Account, Interaction, Source, UsageFacts

SIGNAL_IDS: tuple[SignalId, ...] = (
    "capacity",
    "recent_outcome",
    "team_growth",
    "asked_unowned_features",
    "promoter",
    "renewal_window",
    "aligned_initiative",
    "one_seat_many_users",
    "company_growth",
)
Met = bool | None


@dataclass(frozen=True)
class BookScores:
    """One entry per account of the book, in the book's order; `order` is the rank order."""

    as_of: date
    account_ids: tuple[str, ...]
    segments: tuple[str, ...]
    csm_owners: tuple[str, ...]
    signals: dict[SignalId, tuple[Met, ...]]
    scores: tuple[int, ...]
    tiers: tuple[ReadinessTier, ...]
    gate_passed: tuple[bool, ...]
    blocker_ids: tuple[tuple[BlockerId, ...], ...]
    expansion_types: tuple[ExpansionType, ...]
    proposed_values: tuple[float, ...]
    total_proposed_arr: tuple[float, ...]
    order: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.account_ids)

    def ranked(
        self, segment: str | None = None, csm_owner: str | None = None, tier: ReadinessTier | None = None
    ) -> list[int]:
        """Indices of the accounts that pass the filters, best first (score, value, id)."""
        csm = csm_owner.lower() if csm_owner is not None else None
        return [
            i
            for i in self.order
            if (segment is None or self.segments[i] == segment)
            and (csm is None or self.csm_owners[i].lower() == csm)
            and (tier is None or self.tiers[i] == tier)
        ]


@dataclass(frozen=True)
class _Usage:
    """The usage summary's figures the decisions read (None when usage is missing)."""

    active: int
    utilisation: float | None
    sharing: int
    new_departments: bool
    gate_hits: dict[str, int]
    other_region_users: tuple[int, ...]


def _usage(facts: UsageFacts | None, account: Account, rules: Rules) -> _Usage | None:
    if facts is None:
        return None
    seats, u = account.seats_licensed, rules.usage
    region = account.region.lower()
    return _Usage(
        active=facts.active_users_30d,
        utilisation=facts.active_users_30d / seats if seats > 0 else None,
        sharing=sum(1 for s in facts.sharing_users if s.days >= u.sharing_min_days),
        new_departments=any(
            within_last(facts.as_of, d.first_seen, u.signal_window_days) for d in facts.new_departments
        ),
        gate_hits=facts.gate_hits_90d,
        other_region_users=tuple(r.users_90d for r in facts.regions_90d if r.region.lower() != region),
    )


class _Terms:
    """Which catalog terms an interaction names: every term tested once per interaction."""

    def __init__(self, rules: Rules) -> None:
        catalog = rules.catalog
        terms = {f for t in catalog.tiers for f in t.features} | {k for m in catalog.modules for k in m.keywords}
        self._terms = [(t, term_anchor(t)) for t in sorted(terms)]

    def named(self, interaction: Interaction) -> frozenset[str]:
        text = interaction.text
        folded = fold_text(text)
        return frozenset(t for t, anchor in self._terms if anchor in folded and names_term(text, t, folded))


def _recent(interactions: Sequence[Interaction], as_of: date, days: int) -> list[Interaction]:
    start = window_start(as_of, days)
    return [i for i in interactions if start <= i.ts.date() <= as_of]


def score_book(book: BookData, rules: Rules) -> BookScores:
    """Every account's decisions at `book.as_of`; same results as `skills.assessment.assess`."""
    as_of, catalog, sig = book.as_of, rules.catalog, rules.signals
    accounts = list(book.accounts)
    terms = _Terms(rules)
    usage = [_usage(book.usage_of(a.account_id), a, rules) for a in accounts]
    lacks_conv = [book.lacks(a.account_id, Source.conversations) for a in accounts]
    lacks_outcomes = [book.lacks(a.account_id, Source.outcomes) for a in accounts]
    lacks_support = [book.lacks(a.account_id, Source.support) for a in accounts]
    outcomes = [book.outcomes.get(a.account_id, ()) for a in accounts]
    interactions = [book.interactions.get(a.account_id, ()) for a in accounts]
    recent = [_recent(i, as_of, sig.interaction_window_days) for i in interactions]
    named = [[terms.named(i) for i in found] for found in recent]
    unowned = [
        [(m.id, m.keywords) for m in catalog.modules if m.id.lower() not in {p.lower() for p in a.products}]
        for a in accounts
    ]

    employees = [
        None if a.employees_now is None or a.employees_at_signing is None else a.employees_now > a.employees_at_signing
        for a in accounts
    ]
    revenue = [
        None if a.revenue_now is None or a.revenue_at_signing is None else a.revenue_now > a.revenue_at_signing
        for a in accounts
    ]

    signals: dict[SignalId, list[Met]] = {}
    signals["capacity"] = [
        None if u is None else False if u.utilisation is None else u.utilisation >= sig.capacity_utilisation
        for u in usage
    ]
    outcome_start = window_start(as_of, sig.recent_outcome_days)
    signals["recent_outcome"] = [
        None if lacks else any(outcome_start <= o.ts <= as_of for o in found)
        for lacks, found in zip(lacks_outcomes, outcomes, strict=True)
    ]
    signals["team_growth"] = [
        True if grew else True if u is not None and u.new_departments else None if u is None or grew is None else False
        for grew, u in zip(employees, usage, strict=True)
    ]
    asked: list[Met] = []
    for a, u, sets, lacks in zip(accounts, usage, named, lacks_conv, strict=True):
        if u is not None and u.gate_hits:
            asked.append(True)
            continue
        higher = set(catalog.higher_tier_features(a.plan_tier))
        if any(not higher.isdisjoint(found) for found in sets):
            asked.append(True)
        else:
            asked.append(None if u is None or lacks else False)
    signals["asked_unowned_features"] = asked
    promoter: list[Met] = []
    for every, lacks in zip(interactions, lacks_conv, strict=True):
        scored = [i for i in every if i.nps_score is not None and age_days(as_of, i.ts) >= 0]
        if lacks:
            promoter.append(None)
        elif not scored:
            promoter.append(False)
        else:
            latest = max(scored, key=lambda i: (i.ts, i.interaction_id))
            promoter.append(
                within_last(as_of, latest.ts, sig.nps_window_days)
                and latest.nps_score is not None
                and latest.nps_score >= sig.promoter_min_nps
            )
    signals["promoter"] = promoter
    to_renewal = [(a.renewal_date - as_of).days for a in accounts]
    signals["renewal_window"] = [
        sig.renewal_window_min_days <= days <= sig.renewal_window_max_days for days in to_renewal
    ]
    signals["aligned_initiative"] = [
        None if lacks else any(k in found for _, kws in mods for found in sets for k in kws)
        for sets, mods, lacks in zip(named, unowned, lacks_conv, strict=True)
    ]
    signals["one_seat_many_users"] = [
        None if u is None else a.seats_licensed == 1 and u.active >= 2 for a, u in zip(accounts, usage, strict=True)
    ]
    signals["company_growth"] = [
        True if rev or emp else None if rev is None and emp is None else False
        for rev, emp in zip(revenue, employees, strict=True)
    ]

    weights = {s: int(getattr(rules.weights, s)) for s in SIGNAL_IDS}
    scores = [sum(weights[s] for s in SIGNAL_IDS if signals[s][n]) for n in range(len(accounts))]

    g = rules.gate
    champion_ok = [
        any(
            c.role == "champion"
            and c.status == "active"
            and within_last(as_of, c.last_engaged_at, g.champion_engaged_days)
            for c in book.contacts.get(a.account_id, ())
        )
        for a in accounts
    ]
    gate_passed = [
        (
            a.health_score >= g.healthy_min
            or (g.recovering_min <= a.health_score < g.healthy_min and a.health_trend == "up")
        )
        and not lacks
        and any(age_days(as_of, o.ts) >= 0 for o in found)
        and champion
        for a, lacks, found, champion in zip(accounts, lacks_outcomes, outcomes, champion_ok, strict=True)
    ]

    quarter_end = fiscal_quarter_end(as_of, catalog.fiscal_year_start_month)
    in_blackout = (quarter_end - as_of).days < catalog.quarter_end_blackout_days
    blocker_ids: list[tuple[BlockerId, ...]] = []
    contact_start = window_start(as_of, rules.timing.no_recent_contact_days)
    for a, lacks_s, lacks_c, every in zip(accounts, lacks_support, lacks_conv, interactions, strict=True):
        ids: list[BlockerId] = ["open_critical_ticket"] if lacks_s else []
        ids += [
            "open_critical_ticket"
            for t in book.tickets.get(a.account_id, ())
            if t.status in ("open", "pending")
            and t.priority in rules.timing.critical_priorities
            and t.opened_at <= as_of
        ]
        if lacks_c or not any(contact_start <= i.ts.date() <= as_of for i in every):
            ids.append("no_recent_contact")
        if in_blackout:
            ids.append("quarter_end")
        blocker_ids.append(tuple(ids))

    types: list[ExpansionType] = []
    values: list[float] = []
    for a, u, sets, mods, lacks, days in zip(accounts, usage, named, unowned, lacks_conv, to_renewal, strict=True):
        chosen, value = _offer(a, u, sets, mods, lacks, days, rules)
        types.append(chosen)
        values.append(round(value, 2))
    totals = [round(a.arr + v, 2) for a, v in zip(accounts, values, strict=True)]
    ids_ = tuple(a.account_id for a in accounts)
    order = sorted(range(len(accounts)), key=lambda n: (-scores[n], -values[n], ids_[n]))
    return BookScores(
        as_of=as_of,
        account_ids=ids_,
        segments=tuple(a.segment for a in accounts),
        csm_owners=tuple(a.csm_owner for a in accounts),
        signals={s: tuple(column) for s, column in signals.items()},
        scores=tuple(scores),
        tiers=tuple(readiness_tier(s, rules) for s in scores),
        gate_passed=tuple(gate_passed),
        blocker_ids=tuple(blocker_ids),
        expansion_types=tuple(types),
        proposed_values=tuple(values),
        total_proposed_arr=tuple(totals),
        order=tuple(order),
    )


def _offer(
    a: Account,
    u: _Usage | None,
    named: list[frozenset[str]],
    unowned: list[tuple[str, tuple[str, ...]]],
    lacks_conversations: bool,
    to_renewal: int,
    rules: Rules,
) -> tuple[ExpansionType, float]:
    """The first expansion rule that holds (skills/playbook/expansion_type.py) and its standard price
    (skills/proposal/pricing.py)."""
    catalog = rules.catalog
    if u is not None:
        if (u.utilisation is not None and u.utilisation >= rules.signals.capacity_utilisation) or (
            u.sharing or u.new_departments
        ):
            extra = max(0, math.ceil((u.active + u.sharing) / catalog.target_utilisation) - a.seats_licensed)
            return "seat_growth", round_up_to_pack(extra, catalog.seat_pack) * a.price_per_seat
        nxt = catalog.next_tier(a.plan_tier)
        if nxt is not None:
            wanted = {normalise_term(f) for f in nxt.features}
            hits = sum(n for feature, n in u.gate_hits.items() if normalise_term(feature) in wanted)
            if hits >= rules.types.tier_upgrade_min_gate_hits:
                current = catalog.tier(a.plan_tier)
                delta = nxt.per_seat_price - (current.per_seat_price if current else a.price_per_seat)
                return "tier_upgrade", max(0.0, delta) * a.seats_licensed
    if not lacks_conversations:
        counts = [(module_id, sum(1 for found in named for k in kws if k in found)) for module_id, kws in unowned]
        mentioned = [(module_id, n) for module_id, n in counts if n > 0]
        if mentioned:
            module_id = max(mentioned, key=lambda kv: kv[1])[0]
            module = catalog.module(module_id)
            return "cross_sell", module.annual_price if module else 0.0
    if u is not None and u.other_region_users:
        return "geographic_expansion", round_up_to_pack(sum(u.other_region_users), catalog.seat_pack) * a.price_per_seat
    if (
        0 <= to_renewal <= rules.types.multi_year_renewal_max_days
        and a.health_score >= rules.types.multi_year_renewal_min_health
    ):
        return "multi_year_renewal", a.arr * catalog.services.multi_year_uplift
    return "professional_services", catalog.services.professional_services_price
