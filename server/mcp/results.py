"""What the MCP tools return: output models (their JSON schemas are the tools' output schemas) and the
short summary each result gives the model before the JSON."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from server.store import ProposalRecord, StoredProposal
from skills.assessment import AccountAssessment
from skills.catalog import ExpansionType
from skills.evidence import money, pct
from skills.playbook.readiness_score import ReadinessTier
from skills.playbook.timing import Trigger
from skills.proposal.schema import Proposal
from skills.snapshot import Account, CapacityPoint, Contact, Deal, MissingEvidence, RegionUsage
from skills.usage.summary import UsageSummary


class CrmRecord(BaseModel):
    as_of: date
    account: Account
    contacts: tuple[Contact, ...]
    deals: tuple[Deal, ...]
    source: str | None = Field(description="connector that supplied the CRM data")
    missing_evidence: tuple[MissingEvidence, ...]

    def summary(self) -> str:
        account = self.account
        lines = [
            f"Per CRM: {account.name} ({account.account_id}), {account.segment}, {account.region}, {account.plan_tier} tier; "
            f"ARR {money(account.arr, account.currency)}; {account.seats_licensed} seats at {money(account.price_per_seat, account.currency)}; "
            f"renews {account.renewal_date}; health {account.health_score:g} ({account.health_trend})."
        ]
        for role in ("champion", "economic_buyer"):
            people = [c for c in self.contacts if c.role == role]
            named = ", ".join(
                f"{c.first_name} ({c.title}, {c.status}, last engaged {c.last_engaged_at})" for c in people
            )
            lines.append(f"{role}: {named or 'none on record'}.")
        open_deals = sum(d.stage == "open" for d in self.deals)
        lines.append(f"{len(self.contacts)} contacts, {len(self.deals)} deals ({open_deals} open).")
        return "\n".join(lines + missing_lines(self.missing_evidence))


class UsageReport(BaseModel):
    account_id: str
    name: str
    as_of: date
    window_days: int = Field(description="signal window of gate hits, regions, workflows and new departments")
    active_window_days: int = Field(description="window of active users and utilisation")
    usage: UsageSummary | None = Field(description="null when the usage source is missing (see missing_evidence)")
    regions_90d: tuple[RegionUsage, ...] = Field(description="distinct users per region in the signal window")
    capacity_history: tuple[CapacityPoint, ...] = Field(description="weekly 30-day active users, newest first")
    missing_evidence: tuple[MissingEvidence, ...]

    def summary(self) -> str:
        u = self.usage
        if u is None:
            return "\n".join(
                [
                    f"No usage data for {self.name}: usage signals are unknown, not zero.",
                    *missing_lines(self.missing_evidence),
                ]
            )
        util = f" = {pct(u.utilisation)} utilisation" if u.utilisation is not None else ""
        spread = ", ".join(f"{d.department} ({d.users} users since {d.first_seen})" for d in u.new_departments)
        gates = ", ".join(f"{feature} x{hits}" for feature, hits in u.gate_hits_90d.items())
        regions = ", ".join(f"{r.region} ({r.users_90d} users)" for r in u.other_regions)
        lines = [
            f"Per usage, {self.name} as of {self.as_of}: {u.active_users_30d} active users "
            f"(last {self.active_window_days} days) of {u.seats_licensed} seats{util}.",
            f"Credential sharing: {len(u.sharing_users)} user(s). New departments: {spread or 'none'}.",
            f"Feature-gate hits (last {self.window_days} days): {gates or 'none'}. "
            f"Workflow completions: {u.workflow_completions_90d}. Usage outside the home region: {regions or 'none'}.",
        ]
        if u.capacity_reached_on:
            lines.append(f"At or above the capacity trigger since {u.capacity_reached_on}.")
        return "\n".join(lines + missing_lines(self.missing_evidence))


class RankedAccount(BaseModel):
    rank: int
    account_id: str
    name: str
    segment: str
    csm_owner: str
    score: int
    tier: ReadinessTier
    expansion_type: ExpansionType
    currency: str
    current_arr: float
    proposed_expansion_value: float
    total_proposed_arr: float
    gate_passed: bool
    gate_reasons: tuple[str, ...]
    blockers: tuple[str, ...] = Field(description="ids of what blocks a conversation now")
    latest_trigger: Trigger | None

    @classmethod
    def of(cls, rank: int, assessment: AccountAssessment) -> "RankedAccount":
        return cls(
            rank=rank,
            account_id=assessment.account_id,
            name=assessment.name,
            segment=assessment.segment,
            csm_owner=assessment.csm_owner,
            score=assessment.score,
            tier=assessment.tier,
            expansion_type=assessment.expansion_type,
            currency=assessment.currency,
            current_arr=assessment.current_arr,
            proposed_expansion_value=assessment.proposed_expansion_value,
            total_proposed_arr=assessment.total_proposed_arr,
            gate_passed=assessment.gate.passed,
            gate_reasons=assessment.gate.reasons,
            blockers=tuple(b.id for b in assessment.blockers),
            latest_trigger=assessment.latest_trigger,
        )


class RankResult(BaseModel):
    as_of: date
    total: int = Field(description="accounts matching the filters before the limit")
    accounts: list[RankedAccount] = Field(description="best first: score, then proposed value, then id")

    def summary(self) -> str:
        shown = f" (top {len(self.accounts)} shown)" if self.total > len(self.accounts) else ""
        if not self.total:
            return f"No accounts match these filters as of {self.as_of}; csm_owner must be the CSM's full name."
        lines = [f"{self.total} account(s) as of {self.as_of}, best first{shown}:"]
        for row in self.accounts:
            notes = ([] if row.gate_passed else ["gate failed"]) + [f"blocked: {b}" for b in row.blockers]
            lines.append(
                f"{row.rank}. {row.name} ({row.account_id}) score {row.score} {row.tier}: {row.expansion_type} "
                f"{money(row.proposed_expansion_value, row.currency)}" + (f" [{'; '.join(notes)}]" if notes else "")
            )
        return "\n".join(lines)


class AccountMatch(BaseModel):
    account_id: str
    name: str
    domain: str
    segment: str
    csm_owner: str
    plan_tier: str
    currency: str
    arr: float
    renewal_date: date

    @classmethod
    def of(cls, assessment: Account) -> "AccountMatch":
        return cls.model_validate(assessment.model_dump(include=set(cls.model_fields)))


class FindResult(BaseModel):
    query: str
    matches: list[AccountMatch] = Field(description="best first; fuzzy matches when nothing matches exactly")

    def summary(self) -> str:
        if not self.matches:
            return f"No account matches {self.query!r}. Ask the user for the exact company name or domain."
        found = "; ".join(f"{m.account_id} {m.name} ({m.domain}, {m.segment}, CSM {m.csm_owner})" for m in self.matches)
        return f"{len(self.matches)} account(s) for {self.query!r}: {found}."


class SavedProposal(BaseModel):
    proposal_id: str = Field(description="pass to record_review once the CSM has decided")
    status: Literal["draft"] = "draft"
    proposal: Proposal

    def summary(self) -> str:
        p = self.proposal
        lines = [
            f"Draft {self.proposal_id} saved; it requires CSM review before anything reaches the customer.",
            f"{p.account_name} ({p.account_id}) as of {p.as_of}: {p.kind}, offer {p.expansion_type}. {p.brief}",
        ]
        fallback = f" (fallback: {p.drafted_by.fallback_reason})" if p.drafted_by.fallback_reason else ""
        lines.append(
            f"Drafted by {p.drafted_by.drafter}{fallback}. internal_prep is for the CSM only; customer_summary "
            "is the customer-facing draft. After the CSM decides, call record_review."
        )
        return "\n".join(lines)


class ProposalList(BaseModel):
    """Stored proposals: an account's history, or the drafts awaiting review across accounts."""

    scope: str
    proposals: list[ProposalRecord]

    def summary(self) -> str:
        if not self.proposals:
            return f"No proposals ({self.scope})."
        lines = [f"{len(self.proposals)} proposal(s) ({self.scope}):"]
        for r in self.proposals:
            value = "value unknown" if r.value is None else f"{r.currency} {r.value:,.0f}"
            notes = f"; notes: {'; '.join(r.review_notes)}" if r.review_notes else ""
            lines.append(
                f"- {r.id}: {r.account_id} {r.expansion_type} ({r.kind}), {value}, {r.status}, "
                f"CSM {r.csm_owner or 'unknown'}, created {r.created_at:%Y-%m-%d}{notes}"
            )
        return "\n".join(lines)


def stored_summary(stored: StoredProposal) -> str:
    r, p = stored.record, stored.proposal
    notes = "".join(f" Review: {n}." for n in r.review_notes)
    return (
        f"Proposal {r.id} is {r.status}{f' (superseded by {r.superseded_by})' if r.superseded_by else ''}. "
        f"{p.account_name} ({p.account_id}) as of {p.as_of}: {p.kind}, offer {p.expansion_type}, value case "
        f"{p.value_case}. {p.brief}{notes} internal_prep is for the CSM only."
    )


def missing_lines(missing: tuple[MissingEvidence, ...]) -> list[str]:
    return [f"Missing evidence ({m.kind.value}): {m.reason}." for m in missing]


def score_summary(assessment: AccountAssessment) -> str:
    gate = (
        "Readiness gate passed."
        if assessment.gate.passed
        else f"Readiness gate FAILED ({'; '.join(assessment.gate.reasons)}): fix the footprint first, do not pitch."
    )
    blockers = "; ".join(f"{b.id} ({b.source.citation} {b.detail})" for b in assessment.blockers) or "none"
    trigger = assessment.latest_trigger
    lines = [
        f"{assessment.name} ({assessment.account_id}) as of {assessment.as_of}: readiness score {assessment.score}, tier {assessment.tier}.",
        gate,
        f"One offer: {assessment.expansion_type}. {assessment.expansion_reason.cited}",
        f"Proposed {money(assessment.proposed_expansion_value, assessment.currency)} ({assessment.pricing.basis}); "
        f"ARR {money(assessment.current_arr, assessment.currency)} -> {money(assessment.total_proposed_arr, assessment.currency)}.",
        f"Value case: {assessment.value_case} ({assessment.roi.value_case_reason})"
        + ("" if assessment.value_case == "strong" else "; tell the customer outcomes, not payback."),
        f"Blockers: {blockers}.",
        f"Latest trigger: {trigger.id} ({trigger.date}): {trigger.source.citation} {trigger.detail}"
        if trigger
        else "Latest trigger: none.",
    ]
    return "\n".join(lines + missing_lines(assessment.missing_evidence))
