"""The proposal's fixed schema (SPEC §4): seed 000's JSON field names, plus the desk's evidence and drafts.

Drafters get `DraftFacts` and fill only `DraftedText`; every other field is computed by `skills.proposal.assemble` from
the calculators, so a drafter can reword a proposal but never change a number in it.
Regenerate the published schema with `python -m skills.proposal.schema > skills/proposal/proposal.schema.json`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skills.catalog import ExpansionType
from skills.discovery.readiness_gate import ReadinessGate
from skills.discovery.roi import ExpansionRoi, ValueCase
from skills.playbook.calendar import ExpansionCalendar
from skills.playbook.readiness_score import ReadinessTier, Signal
from skills.playbook.timing import Blocker, BlockerId, Trigger
from skills.renewal.pre_renewal_timeline import RenewalMilestone
from skills.snapshot import DepartmentSpread, MissingEvidence, RegionUsage, Source

ProposalKind = Literal["expansion_proposal", "fix_footprint_first", "wait_until"]
ScriptKind = Literal[
    "success_moment",
    "capacity_ceiling",
    "team_growth",
    "new_initiative",
    "ahead_of_renewal",
    "check_in",
    "champion_promoted",
]
ObjectionKey = Literal["not_ready", "budget_approval", "more_value_first", "happy_as_is", "type_specific"]
DrafterName = Literal["template", "claude"]
Audience = Literal["customer", "internal"]
OfferChooser = Literal["rules", "csm"]
RiskLevel = Literal["green", "amber", "red"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueDelivered(_Model):
    headline: str
    supporting: list[str]


class GrowthSignals(_Model):
    licence_utilisation: str
    organic_spread: str
    credential_sharing: str


class Evidence(_Model):
    """Seed 000's evidence block: each string starts with its source citation ("Per usage: …")."""

    value_delivered: ValueDelivered
    growth_signals: GrowthSignals
    benchmark_position: str
    switching_cost: str


class InternalPrep(_Model):
    """For the CSM's eyes only (seed 000): never shown to the customer."""

    pricing_standard: float
    discount_authority: str
    likely_objections: list[str]
    recommended_approach: str
    risk_factors: list[str]
    timing: str


class CustomerSummary(_Model):
    opening: str
    value_frame: str
    expansion_frame: str
    forward_look: str


class ObjectionResponse(_Model):
    key: ObjectionKey
    objection: str
    response: str


class ConversationScript(_Model):
    trigger: ScriptKind
    script: str


class DraftedText(_Model):
    """Exactly the words a drafter (template or Claude) writes; the Claude tool's input schema."""

    customer_summary: CustomerSummary
    recommended_approach: str
    likely_objections: list[str]
    objection_responses: list[ObjectionResponse]
    conversation_scripts: list[ConversationScript]


class DraftedBy(_Model):
    drafter: DrafterName
    model: str | None = None
    fallback_reason: str | None = None
    offer_chosen_by: OfferChooser = "rules"


class Play(_Model):
    """One of seed 003's "Recommended plays": an offer whose rule holds, priced."""

    expansion_type: ExpansionType
    what: str
    why_now: str
    estimated_arr_impact: float


class RenewalStrategy(_Model):
    """Seed 003's renewal strategy, for a renewal within six months."""

    renewal_date: date
    days_to_renewal: int
    risk_level: RiskLevel
    risk_reasons: list[str]
    expansion_at_renewal: Literal["likely", "possible", "unlikely"]


class ExpansionPlan(_Model):
    """Seed 003's Expansion Plan: the primary offer, up to two other plays, the potential and its confidence."""

    plays: list[Play]
    expansion_potential: float
    confidence: str
    renewal_strategy: RenewalStrategy | None


class EvidenceEntry(_Model):
    """One cited evidence line; `internal` lines are for the CSM and must stay out of the customer summary."""

    topic: str
    source: Source
    audience: Audience
    line: str


class Figures(_Model):
    """The figures some text states, by kind; money keyed by currency."""

    money: frozenset[tuple[str, Decimal]] = frozenset()
    percents: frozenset[Decimal] = frozenset()
    counts: frozenset[Decimal] = frozenset()
    multipliers: frozenset[Decimal] = frozenset()
    dates: frozenset[str] = frozenset()

    def __or__(self, other: Figures) -> Figures:
        return Figures(
            money=self.money | other.money,
            percents=self.percents | other.percents,
            counts=self.counts | other.counts,
            multipliers=self.multipliers | other.multipliers,
            dates=self.dates | other.dates,
        )

    def has(self, kind: str, value: Decimal | None, text: str = "", currency: str | None = None) -> bool:
        """Whether a figure of this kind (money: in this currency) is among these."""
        if kind == "date":
            return text in self.dates
        if value is None:
            return False
        if kind == "money":
            return (currency or "", value) in self.money
        pool = {"percent": self.percents, "count": self.counts, "multiplier": self.multipliers}.get(kind)
        return pool is not None and value in pool

    def kinds_of(self, value: Decimal) -> list[str]:
        """The kinds under which `value` is a known figure (to explain a kind mismatch)."""
        found = [k for k, pool in (("percentage", self.percents), ("count", self.counts)) if value in pool]
        found += [f"{c} amount" for c, v in sorted(self.money) if v == value]
        return found


class Initiative(_Model):
    """The latest mention of an unowned module's keyword: the customer's words, not ours."""

    keyword: str
    module: str
    day: date
    channel: str
    quote: str | None = Field(
        default=None, description="the customer's verbatim words, when a grounded signal holds them"
    )
    title: str = ""


class DraftFacts(_Model):
    """Everything a drafter may use. Figures are pre-formatted exactly as the evidence prints them."""

    account_name: str
    contact: str
    kind: ProposalKind
    expansion_type: ExpansionType
    currency: str
    as_of: date
    lines: tuple[EvidenceEntry, ...]
    allowed: Figures
    script_kinds: tuple[ScriptKind, ...]
    objections: tuple[tuple[ObjectionKey, str], ...]
    # guard-rail inputs for the checks; never sent to a model
    discount_authority: float
    proposed_value: float
    total_value: float
    risk_factors: tuple[str, ...]
    health_score: float = 0
    value_case: ValueCase = "unknown"
    chosen_by_csm: bool = False
    lexicon: tuple[str, ...] = ()
    customer_words: tuple[str, ...] = ()
    untrusted: Figures = Figures()
    customer_allowed: Figures = Figures()
    discovery_questions: tuple[str, ...] = ()
    incremental_amount: float | None = None
    payback: float | None = None
    # template context
    utilisation: str | None
    at_capacity: bool
    seats_licensed: int
    active_users: int | None
    sharing_users: int
    departments: tuple[DepartmentSpread, ...]
    headcount: tuple[int, int] | None
    outcome: str | None
    outcome_day: date | None
    current_value: str | None
    benchmark: str | None
    offer: str
    price: str
    total: str
    seats_added: int
    incremental_value: str | None
    payback_months: str | None
    current_tier: str
    next_tier: str | None
    next_tier_features: str | None
    module_name: str | None
    module_hours: str | None
    feature_hits: tuple[tuple[str, int], ...]
    regions: tuple[RegionUsage, ...]
    initiative: Initiative | None
    renewal_day: date
    renewal_days: int
    first_allowed_day: date
    blocker_ids: tuple[BlockerId, ...]


class ProposalCore(_Model):
    """Every deterministic field: the calculators' numbers and evidence, before any drafting."""

    account_id: str
    expansion_type: ExpansionType
    current_arr: float
    proposed_expansion_value: float
    total_proposed_arr: float
    evidence: Evidence
    kind: ProposalKind
    brief: str
    as_of: date
    account_name: str
    csm_owner: str = ""  # empty only on a proposal stored before the field existed
    currency: str
    score: int
    tier: ReadinessTier
    signals: list[Signal]
    gate: ReadinessGate
    blockers: list[Blocker]
    triggers: list[Trigger]
    roi: ExpansionRoi
    value_case: ValueCase = "unknown"
    offer_chosen_by: OfferChooser = "rules"
    expansion_plan: ExpansionPlan | None = None  # None only on a proposal stored before the plan existed
    calendar: ExpansionCalendar
    renewal_timeline: list[RenewalMilestone]
    discovery_questions: list[str]
    evidence_lines: list[EvidenceEntry]
    missing_evidence: list[MissingEvidence]


class Proposal(ProposalCore):
    internal_prep: InternalPrep
    customer_summary: CustomerSummary
    objection_responses: list[ObjectionResponse]
    conversation_scripts: list[ConversationScript]
    drafted_by: DraftedBy
    requires_csm_review: Literal[True] = True


def schema_json() -> str:
    """The published JSON schema of `Proposal`, byte-stable so the committed file can be compared."""
    return json.dumps(Proposal.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_json(), end="")
