"""Assembles the deterministic proposal (seed 000) from one account's calculator results.

Pure: every number, evidence string, internal-prep figure and timing line comes from the
calculators; drafters receive `DraftFacts` (cited evidence lines plus the figures they may quote)
and write words only. The proposal kind follows seed 001 and seed 002: a failed readiness gate
makes a "fix the footprint first" brief, a blocker a "wait until" brief, and neither pitches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from skills.assessment import AccountAssessment
from skills.catalog import ExpansionType
from skills.evidence import Result, day, money, pct, recent_outcomes
from skills.playbook.expansion_type import ExpansionChoice
from skills.playbook.timing import TriggerId
from skills.proposal.allowed_figures import (
    allowed_figures,
    customer_words,
    quotable,
    untrusted_figures,
)
from skills.proposal.expansion_plan import expansion_plan
from skills.proposal.initiative import initiative
from skills.proposal.questions import discovery_questions, observed
from skills.proposal.schema import (
    Audience,
    DraftedBy,
    DraftedText,
    DraftFacts,
    Evidence,
    EvidenceEntry,
    GrowthSignals,
    InternalPrep,
    ObjectionKey,
    Proposal,
    ProposalCore,
    ProposalKind,
    ScriptKind,
    ValueDelivered,
)
from skills.proposal.switching_cost import SwitchingCost
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Source
from skills.usage.summary import UsageSummary

__all__ = ["Assembled", "DraftFacts", "assemble", "compose", "offer_phrase", "proposal_kind"]

TRIGGER_SCRIPTS: dict[TriggerId, ScriptKind] = {
    "outcome_reported": "success_moment",
    "capacity_reached": "capacity_ceiling",
    "team_growth": "team_growth",
    "initiative_mentioned": "new_initiative",
    "renewal_in_90_days": "ahead_of_renewal",
    "champion_promoted": "champion_promoted",
}
_ANY_OFFER: tuple[ScriptKind, ...] = ("success_moment", "ahead_of_renewal", "champion_promoted")
SCRIPTS_FOR: dict[ExpansionType, tuple[ScriptKind, ...]] = {
    "seat_growth": (*_ANY_OFFER, "capacity_ceiling", "team_growth"),
    "tier_upgrade": _ANY_OFFER,
    "cross_sell": (*_ANY_OFFER, "new_initiative"),
    "geographic_expansion": (*_ANY_OFFER, "team_growth"),
    "multi_year_renewal": _ANY_OFFER,
    "professional_services": (*_ANY_OFFER, "team_growth"),
}
"""The trigger scripts that fit each offer: a capacity script never opens a cross-sell (seed 002 step 4)."""
COMMON_OBJECTIONS: tuple[tuple[ObjectionKey, str], ...] = (
    ("not_ready", "We're not ready to expand right now."),
    ("budget_approval", "We'd need to get budget approved."),
    ("more_value_first", "We need to see more value from what we already have first."),
    ("happy_as_is", "We're happy with what we have."),
)
TYPE_OBJECTIONS: dict[ExpansionType, str] = {
    "seat_growth": "We can keep sharing logins for now.",
    "tier_upgrade": "The current tier does what we need.",
    "cross_sell": "We already have another tool for that.",
    "geographic_expansion": "The regional team should sort out its own contract.",
    "multi_year_renewal": "We don't want to commit beyond one year.",
    "professional_services": "We can handle the rollout ourselves.",
}
TIER_TIMING = {
    "priority": "have the conversation this week",
    "ready": "have the conversation in the next 30 days",
    "candidate": "plant seeds now, ask in 60–90 days",
    "not_yet": "focus on health and adoption first",
}
METRIC_NAMES = {
    "utilisation": "licence utilisation",
    "active_user_ratio": "active user ratio",
    "workflow_completions_90d": "workflow completions",
}
SEGMENT_WORDS = {"smb": "small-business", "mid_market": "mid-market", "enterprise": "enterprise"}


class Assembled(Result):
    core: ProposalCore
    pricing_standard: float
    discount_authority: str
    risk_factors: tuple[str, ...]
    timing: str
    facts: DraftFacts


def _entry(topic: str, source: Source, text: str, audience: Audience = "customer") -> EvidenceEntry:
    return EvidenceEntry(topic=topic, source=source, audience=audience, line=f"{source.citation} {text}")


def proposal_kind(assessment: AccountAssessment) -> ProposalKind:
    if not assessment.gate.passed:
        return "fix_footprint_first"
    return "wait_until" if assessment.blockers else "expansion_proposal"


def offer_phrase(assessment: AccountAssessment, choice: ExpansionChoice, rules: Rules) -> str:
    """The offer in the customer's terms."""
    seats = assessment.pricing.seats_added
    module = rules.catalog.module(choice.module_id) if choice.module_id else None
    return {
        "seat_growth": f"{seats} additional seats" if seats else "no additional seats",
        "tier_upgrade": f"an upgrade to the {choice.next_tier} tier",
        "cross_sell": f"the {module.name if module else choice.module_id} module",
        "geographic_expansion": f"{seats} seats for {', '.join(r.region for r in choice.new_regions)}",
        "multi_year_renewal": "a multi-year renewal",
        "professional_services": "a professional services engagement",
    }[assessment.expansion_type]


def _utilisation(u: UsageSummary, rules: Rules) -> str:
    window = rules.usage.active_window_days
    if u.utilisation is None:
        return f"no seats licensed; {u.active_users_30d} active users in the last {window} days"
    text = f"{pct(u.utilisation)} of {u.seats_licensed} seats active in the last {window} days ({u.active_users_30d} users)"
    if u.utilisation >= rules.signals.capacity_utilisation:
        text += " — capacity ceiling reached"
    if u.capacity_reached_on:
        text += f"; at or above {pct(rules.timing.capacity_trigger_utilisation)} since {day(u.capacity_reached_on)}"
    return text


def _growth(assessment: AccountAssessment, rules: Rules) -> tuple[GrowthSignals, list[EvidenceEntry]]:
    u, lookback = assessment.usage, rules.usage.sharing_lookback_days
    if u is None:
        texts = dict.fromkeys(GrowthSignals.model_fields, "unknown — usage data missing")
    else:
        spread = "; ".join(
            f"{d.users} new users from {d.department} since {day(d.first_seen)}" for d in u.new_departments
        )
        n = len(u.sharing_users)
        texts = {
            "licence_utilisation": _utilisation(u, rules),
            "organic_spread": spread or f"no new department in the last {rules.usage.signal_window_days} days",
            "credential_sharing": f"{n} user{'s' if n != 1 else ''} detected sharing credentials in the last {lookback} days"
            if n
            else f"no credential sharing detected in the last {lookback} days",
        }
    entries = [_entry(f"growth.{k}", Source.usage, text) for k, text in texts.items()]
    window = rules.usage.signal_window_days
    hits = sorted((u.gate_hits_90d if u else {}).items())
    entries += [
        _entry(f"growth.gate_hits.{f}", Source.usage, f"{n} feature-gate hits on {f} in the last {window} days")
        for f, n in hits
    ]
    return GrowthSignals(**{e.topic.removeprefix("growth."): e.line for e in entries[:3]}), entries


def _benchmark_lines(assessment: AccountAssessment) -> list[str]:
    out = []
    for b in assessment.benchmarks:
        value = f"{b.value:g}" if b.metric == "workflow_completions_90d" else pct(b.value)
        peers = f"percentile {b.percentile:g} among {b.peers} {assessment.segment} accounts"
        out.append(f"{METRIC_NAMES[b.metric]} {value}: {b.label} ({peers})")
    return out


def _switching(sc: SwitchingCost) -> str:
    held = ", ".join(sc.factors) or "none of the factors"
    return f"{sc.level or 'unknown'} — {held} (checked: {sc.detail})"


def _and_list(items: tuple[str, ...]) -> str:
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def _customer_benchmark(assessment: AccountAssessment) -> str | None:
    for label in ("top quartile", "above median"):
        best = next((b for b in assessment.benchmarks if b.label == label), None)
        if best:
            where = "in the top quartile" if label == "top quartile" else "above the median"
            return f"{where} of similar {SEGMENT_WORDS[assessment.segment]} teams for {METRIC_NAMES[best.metric]}"
    return None


def _value(
    assessment: AccountAssessment, snapshot: AccountSnapshot, rules: Rules
) -> tuple[ValueDelivered, list[EvidenceEntry]]:
    """Value already delivered, lead with it (seed 000): outcomes, their worth, benchmarks."""
    outcomes = recent_outcomes(snapshot, rules.value.roi_lookback_days)
    described = [f"{o.text} (reported {day(o.ts)})" for o in outcomes]
    entries = [_entry(f"value.outcome.{i}", Source.outcomes, text) for i, text in enumerate(described)]
    if assessment.roi.current_value:
        worth = f"{money(assessment.roi.current_value, assessment.currency)} of value delivered ({assessment.roi.current_value_basis})"
        entries.append(_entry("value.current_value", Source.outcomes, worth))
    if assessment.usage is not None:
        flows = f"{assessment.usage.workflow_completions_90d} workflow completions in the last {rules.usage.signal_window_days} days"
        entries.append(_entry("value.workflows", Source.usage, flows))
    entries += [
        _entry(f"benchmark.{b.metric}", Source.usage, t)
        for b, t in zip(assessment.benchmarks, _benchmark_lines(assessment), strict=True)
    ]
    no_outcome = f"no measurable outcome reported in the last {rules.value.roi_lookback_days} days"
    headline = entries[0].line if described else f"{Source.outcomes.citation} {no_outcome}"
    supporting = [e.line for e in (entries[1:] if described else entries)]
    return ValueDelivered(headline=headline, supporting=supporting), entries


def _internal_entries(assessment: AccountAssessment, snapshot: AccountSnapshot) -> list[EvidenceEntry]:
    out = [
        _entry(
            f"gate.{c.id}",
            c.source,
            f"gate {c.id} {'unknown' if c.passed is None else 'passed' if c.passed else 'failed'}: {c.evidence}",
            "internal",
        )
        for c in assessment.gate.checks
    ]
    out += [_entry(f"blocker.{b.id}", b.source, b.detail, "internal") for b in assessment.blockers]
    cal = assessment.calendar
    out.append(_entry("calendar", Source.catalog, f"first allowed day {day(cal.first_allowed_day)}", "internal"))
    out += [
        _entry(
            f"renewal.{m.weeks_before}w",
            Source.crm,
            f"{m.weeks_before} weeks before renewal ({day(m.date)}): {m.action} — {m.owner}{' (past)' if m.past else ''}",
            "internal",
        )
        for m in assessment.renewal_timeline
    ]
    sc = assessment.switching_cost
    out.append(_entry("switching_cost", Source.crm, f"switching cost {_switching(sc)}", "internal"))
    buyer = _economic_buyer(snapshot)
    out.append(
        _entry(
            "economic_buyer",
            Source.crm,
            f"economic buyer: {buyer}" if buyer else "no active economic buyer on record",
            "internal",
        )
    )
    out += [
        _entry(f"missing.{m.kind.value}", m.kind, f"{m.kind.value} data missing: {m.reason}", "internal")
        for m in assessment.missing_evidence
    ]
    return out


def _economic_buyer(snapshot: AccountSnapshot) -> str | None:
    buyers = [c for c in snapshot.contacts if c.role == "economic_buyer" and c.status == "active"]
    return ", ".join(f"{c.first_name or c.contact_id} ({c.title or 'no title'})" for c in buyers) or None


def _contact(snapshot: AccountSnapshot) -> str:
    champions = [c for c in snapshot.contacts if c.role == "champion" and c.status == "active" and c.first_name]
    latest = max(champions, key=lambda c: (c.last_engaged_at or date.min, c.contact_id), default=None)
    return latest.first_name if latest else "[Name]"


def _risk_factors(assessment: AccountAssessment, snapshot: AccountSnapshot) -> tuple[str, ...]:
    risks = [*assessment.gate.reasons, *(f"{b.source.citation} {b.detail}" for b in assessment.blockers)]
    risks += [f"{m.kind.citation} {m.kind.value} data missing: {m.reason}" for m in assessment.missing_evidence]
    if assessment.unevaluated_types:
        risks.append(
            f"{Source.usage.citation} not evaluated for missing data: {', '.join(assessment.unevaluated_types)}"
        )
    if not _economic_buyer(snapshot):
        risks.append(
            f"{Source.crm.citation} no active economic buyer on record — the champion may need to socialise the case internally"
        )
    roi = assessment.roi
    if roi.value_case != "strong":
        risks.append(
            f"{Source.outcomes.citation} {roi.value_case} value case ({roi.value_case_reason}): build the value case "
            "with the customer first, or propose a smaller first step; do not quote payback or incremental value"
        )
    return tuple(risks)


def _timing(assessment: AccountAssessment, kind: ProposalKind) -> str:
    if kind == "fix_footprint_first":
        return f"Not now — fix the footprint first: {'; '.join(assessment.gate.reasons)}. Revisit once the gate passes."
    cal = assessment.calendar
    if kind == "wait_until":
        dated = cal.first_allowed_day > assessment.as_of
        details = "; ".join(b.detail for b in assessment.blockers)
        return f"Wait{f' until {day(cal.first_allowed_day)}' if dated else ' until resolved'}: {details}."
    text = f"{TIER_TIMING[assessment.tier].capitalize()} (score {assessment.score}, {assessment.tier})."
    if assessment.latest_trigger:
        t = assessment.latest_trigger
        text += f" Open with {t.id}{f' ({day(t.date)})' if t.date else ''}: {t.detail}."
    first = cal.phases[0] if cal.phases else None
    if first:
        text += f" Days {first.days}: {day(first.start)} to {day(first.end)}."
    upcoming = next((m for m in assessment.renewal_timeline if not m.past), None)
    if upcoming:
        text += f" Pre-renewal: {upcoming.action} by {day(upcoming.date)}."
    return text


def _brief(assessment: AccountAssessment, kind: ProposalKind, offer: str) -> str:
    price, held = (
        money(assessment.proposed_expansion_value, assessment.currency),
        f"The {assessment.expansion_type} offer",
    )
    if kind == "fix_footprint_first":
        reasons = "; ".join(assessment.gate.reasons)
        return f"Fix the footprint first: {assessment.name} is not ready for an expansion conversation — {reasons}. {held} ({price}) waits until the gate passes."
    if kind == "wait_until":
        details = "; ".join(b.detail for b in assessment.blockers)
        dated = assessment.calendar.first_allowed_day > assessment.as_of
        until = f"until {day(assessment.calendar.first_allowed_day)} at the earliest" if dated else "until resolved"
        return f"Wait {until}: {details}. {held} ({price}) waits; no pitch before then."
    arr, total = (
        money(assessment.current_arr, assessment.currency),
        money(assessment.total_proposed_arr, assessment.currency),
    )
    return f"Expansion proposal for {assessment.name}: {offer} at {price}, taking ARR from {arr} to {total}."


@dataclass(frozen=True)
class _Inputs:
    """What every section of the proposal is built from: the assessment, its evidence, the offer, the rules."""

    assessment: AccountAssessment
    snapshot: AccountSnapshot
    choice: ExpansionChoice
    rules: Rules


def _usage_facts(inputs: _Inputs) -> dict[str, Any]:
    usage, rules = inputs.assessment.usage, inputs.rules
    return {
        "utilisation": pct(usage.utilisation) if usage and usage.utilisation is not None else None,
        "at_capacity": bool(
            usage and usage.utilisation is not None and usage.utilisation >= rules.signals.capacity_utilisation
        ),
        "active_users": usage.active_users_30d if usage else None,
        "sharing_users": len(usage.sharing_users) if usage else 0,
        "departments": usage.new_departments if usage else (),
        "feature_hits": tuple(sorted((usage.gate_hits_90d if usage else {}).items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _value_facts(inputs: _Inputs) -> dict[str, Any]:
    assessment, account = inputs.assessment, inputs.snapshot.account
    outcomes = recent_outcomes(inputs.snapshot, inputs.rules.value.roi_lookback_days)
    latest = outcomes[0] if outcomes else None
    roi = assessment.roi
    return {
        "headcount": (account.employees_at_signing, account.employees_now) if account.headcount_grew else None,
        "outcome": quotable(latest, account.currency, inputs.rules) if latest else None,
        "outcome_day": latest.ts if latest else None,
        "current_value": money(roi.current_value, assessment.currency) if roi.current_value else None,
        "benchmark": _customer_benchmark(assessment),
    }


def _offer_facts(inputs: _Inputs, offer: str) -> dict[str, Any]:
    assessment, choice, catalog, currency = (
        inputs.assessment,
        inputs.choice,
        inputs.rules.catalog,
        inputs.assessment.currency,
    )
    next_tier = catalog.tier(choice.next_tier) if choice.next_tier else None
    module = catalog.module(choice.module_id) if choice.module_id else None
    expected = module.expected_outcome if module and module.expected_outcome else None
    roi = assessment.roi
    strong = roi.value_case == "strong"
    return {
        "offer": offer,
        "discount_authority": assessment.pricing.discount_authority,
        "proposed_value": assessment.proposed_expansion_value,
        "total_value": assessment.total_proposed_arr,
        "price": money(assessment.proposed_expansion_value, currency),
        "total": money(assessment.total_proposed_arr, currency),
        "seats_licensed": inputs.snapshot.account.seats_licensed,
        "seats_added": assessment.pricing.seats_added,
        "incremental_value": money(roi.expected_incremental_value, currency)
        if roi.expected_incremental_value and strong
        else None,
        "payback_months": f"{roi.payback_months:g}" if roi.payback_months is not None and strong else None,
        "incremental_amount": roi.expected_incremental_value,
        "payback": roi.payback_months,
        "value_case": roi.value_case,
        "chosen_by_csm": choice.chosen_by_csm,
        "current_tier": inputs.snapshot.account.plan_tier,
        "next_tier": choice.next_tier,
        "next_tier_features": _and_list(next_tier.features) if next_tier and next_tier.features else None,
        "module_name": module.name if module else None,
        "module_hours": f"{expected.value * (12 if expected.per == 'month' else 1):g}" if expected else None,
        "regions": choice.new_regions,
        "initiative": initiative(inputs.snapshot, choice, inputs.rules),
    }


def _timing_facts(inputs: _Inputs) -> dict[str, Any]:
    assessment, account = inputs.assessment, inputs.snapshot.account
    return {
        "renewal_day": account.renewal_date,
        "renewal_days": (account.renewal_date - assessment.as_of).days,
        "first_allowed_day": assessment.calendar.first_allowed_day,
        "blocker_ids": tuple(b.id for b in assessment.blockers),
    }


def _drafting_facts(inputs: _Inputs, kind: ProposalKind, lines: tuple[EvidenceEntry, ...]) -> dict[str, Any]:
    """What the drafter may say and in which frames: the grounded figures, scripts and objections."""
    assessment, snapshot, rules = inputs.assessment, inputs.snapshot, inputs.rules
    pitching = kind == "expansion_proposal"
    fitting = [TRIGGER_SCRIPTS[t.id] for t in assessment.triggers]
    scripts = (
        tuple(dict.fromkeys(k for k in fitting if k in SCRIPTS_FOR[assessment.expansion_type])) if pitching else ()
    )
    specific = (("type_specific", TYPE_OBJECTIONS[assessment.expansion_type]),) if pitching else ()
    return {
        "allowed": allowed_figures(lines, snapshot, rules),
        "customer_allowed": allowed_figures(lines, snapshot, rules, audience="customer"),
        "untrusted": untrusted_figures(snapshot),
        "customer_words": customer_words(snapshot),
        "lexicon": rules.drafting.lexicon,
        "health_score": snapshot.account.health_score,
        "script_kinds": scripts or ("check_in",),
        "objections": COMMON_OBJECTIONS + specific,
    }


def _facts(
    inputs: _Inputs, *, kind: ProposalKind, lines: tuple[EvidenceEntry, ...], risks: tuple[str, ...], offer: str
) -> DraftFacts:
    """The drafter's inputs, one named section at a time."""
    assessment = inputs.assessment
    return DraftFacts(
        account_name=assessment.name,
        contact=_contact(inputs.snapshot),
        kind=kind,
        expansion_type=assessment.expansion_type,
        currency=assessment.currency,
        as_of=assessment.as_of,
        lines=lines,
        risk_factors=risks,
        **_drafting_facts(inputs, kind, lines),
        **_usage_facts(inputs),
        **_value_facts(inputs),
        **_offer_facts(inputs, offer),
        **_timing_facts(inputs),
    )


def _chosen_note(choice: ExpansionChoice) -> str:
    if not choice.chosen_by_csm:
        return ""
    rule = f" (the rules chose {choice.rule_choice})" if choice.rule_choice else ""
    return f" The CSM chose this offer{rule}; it claims no customer need the evidence does not show."


def assemble(
    assessment: AccountAssessment,
    snapshot: AccountSnapshot,
    choice: ExpansionChoice,
    rules: Rules,
    confidence: str | None = None,
) -> Assembled:
    """The deterministic proposal for `a`, whose offer is `choice` (the rule's, or the CSM's forced type).

    `confidence`: the tier's calibrated win rate (SPEC §5) once a backtest supplies it, else "not calibrated".
    """
    kind, offer, acct = proposal_kind(assessment), offer_phrase(assessment, choice, rules), snapshot.account
    value, value_entries = _value(assessment, snapshot, rules)
    growth, growth_entries = _growth(assessment, rules)
    benchmark = "; ".join(_benchmark_lines(assessment)) or "no segment benchmark available"
    sc = assessment.switching_cost
    evidence = Evidence(
        value_delivered=value,
        growth_signals=growth,
        benchmark_position=f"{Source.usage.citation} {benchmark}",
        switching_cost=f"{Source.crm.citation} {_switching(sc)}",
    )
    price, cur = money(assessment.proposed_expansion_value, assessment.currency), assessment.currency
    account_line = (
        f"{assessment.name}: {assessment.segment} account on the {acct.plan_tier} tier; ARR {money(assessment.current_arr, cur)}; "
        f"{acct.seats_licensed} seats at {money(acct.price_per_seat, cur)} per seat; renewal on {day(acct.renewal_date)}"
    )
    offer_line = f"{offer}: {price} ({assessment.pricing.basis}); ARR {money(assessment.current_arr, cur)} → {money(assessment.total_proposed_arr, cur)}"
    roi_lines = []
    if assessment.roi.expected_incremental_value:
        roi_lines.append(
            f"expected incremental value {money(assessment.roi.expected_incremental_value, cur)} per year ({assessment.roi.incremental_basis})"
        )
    if assessment.roi.payback_months is not None:
        roi_lines.append(f"payback {assessment.roi.payback_months:g} months on {price}")
    roi_audience: Audience = "customer" if assessment.roi.value_case == "strong" else "internal"
    lines = (
        _entry("account", Source.crm, account_line),
        *growth_entries,
        *value_entries,
        *(
            _entry(f"signal.{s.id}", s.source, f"{s.id}: {s.evidence} — {s.points}/{s.weight} points")
            for s in assessment.signals
        ),
        *(
            _entry(f"trigger.{t.id}", t.source, f"{t.id}{f' on {day(t.date)}' if t.date else ''}: {t.detail}")
            for t in assessment.triggers
        ),
        _entry("offer.reason", assessment.expansion_reason.source, assessment.expansion_reason.text),
        _entry("offer", Source.catalog, offer_line),
        *(_entry(f"roi.{i}", Source.outcomes, t, roi_audience) for i, t in enumerate(roi_lines)),
        *_internal_entries(assessment, snapshot),
    )
    risks = _risk_factors(assessment, snapshot)
    facts = _facts(_Inputs(assessment, snapshot, choice, rules), kind=kind, lines=lines, risks=risks, offer=offer)
    questions = discovery_questions(kind, *observed(assessment.expansion_type, facts))
    facts = facts.model_copy(update={"discovery_questions": tuple(questions)})
    core = ProposalCore(
        account_id=assessment.account_id,
        expansion_type=assessment.expansion_type,
        current_arr=assessment.current_arr,
        proposed_expansion_value=assessment.proposed_expansion_value,
        total_proposed_arr=assessment.total_proposed_arr,
        evidence=evidence,
        kind=kind,
        brief=_brief(assessment, kind, offer) + _chosen_note(choice),
        as_of=assessment.as_of,
        account_name=assessment.name,
        csm_owner=assessment.csm_owner,
        currency=cur,
        score=assessment.score,
        tier=assessment.tier,
        signals=list(assessment.signals),
        gate=assessment.gate,
        blockers=list(assessment.blockers),
        triggers=list(assessment.triggers),
        roi=assessment.roi,
        value_case=assessment.roi.value_case,
        offer_chosen_by="csm" if choice.chosen_by_csm else "rules",
        expansion_plan=expansion_plan(assessment, snapshot, choice, rules, confidence),
        calendar=assessment.calendar,
        renewal_timeline=list(assessment.renewal_timeline),
        discovery_questions=questions,
        evidence_lines=list(lines),
        missing_evidence=list(assessment.missing_evidence),
    )
    d = assessment.pricing.discount_authority
    authority = (
        f"CSM can offer up to {pct(d)} on {assessment.expansion_type} without approval"
        if d
        else f"No discount authority on {assessment.expansion_type}: any discount needs approval"
    )
    return Assembled(
        core=core,
        pricing_standard=assessment.proposed_expansion_value,
        discount_authority=authority,
        risk_factors=risks,
        timing=_timing(assessment, kind),
        facts=facts,
    )


def compose(assembled: Assembled, draft: DraftedText, drafted_by: DraftedBy) -> Proposal:
    """The full proposal: the assembled facts with a checked draft's words; `drafted_by` records who chose the offer."""
    drafted_by = drafted_by.model_copy(update={"offer_chosen_by": assembled.core.offer_chosen_by})
    prep = InternalPrep(
        pricing_standard=assembled.pricing_standard,
        discount_authority=assembled.discount_authority,
        likely_objections=draft.likely_objections,
        recommended_approach=draft.recommended_approach,
        risk_factors=list(assembled.risk_factors),
        timing=assembled.timing,
    )
    return Proposal(
        **dict(assembled.core),
        internal_prep=prep,
        customer_summary=draft.customer_summary,
        objection_responses=draft.objection_responses,
        conversation_scripts=draft.conversation_scripts,
        drafted_by=drafted_by,
    )
