"""One account's full evidence at `as_of`: every SPEC §3 calculator applied to one snapshot.

This is the JSON of `score --json`, `rank --json` and the MCP `score_account` tool.
"""

from __future__ import annotations

from datetime import date

from skills.catalog import ExpansionType
from skills.discovery.gate_fixes import GateFix, gate_fixes
from skills.discovery.readiness_gate import ReadinessGate, readiness_gate
from skills.discovery.roi import ExpansionRoi, ValueCase, expansion_roi
from skills.evidence import EvidenceLine, Result
from skills.playbook.calendar import ExpansionCalendar, expansion_calendar
from skills.playbook.next_tier import NextTier, next_tier, out_of_reach
from skills.playbook.readiness_score import (
    ReadinessTier,
    Signal,
    readiness_points,
    readiness_points_reaching,
    readiness_score,
    readiness_tier,
)
from skills.playbook.timing import Blocker, Trigger, blockers, triggers
from skills.proposal.benchmarks import BenchmarkLine, PeerMetrics, SegmentPeers, benchmarks
from skills.proposal.pricing import PriceQuote, priced
from skills.proposal.switching_cost import SwitchingCost, switching_cost
from skills.renewal.pre_renewal_timeline import RenewalMilestone, pre_renewal_timeline
from skills.rules import Rules
from skills.snapshot import Account, AccountSnapshot, MissingEvidence, UsageFacts
from skills.usage.activity import active_user_ratio, active_users, utilisation
from skills.usage.summary import UsageSummary, summarise_usage


class AccountAssessment(Result):
    account_id: str
    name: str
    segment: str
    csm_owner: str
    as_of: date
    score: int
    tier: ReadinessTier
    signals: tuple[Signal, ...]
    next_tier: NextTier
    utilisation: float | None
    active_users_30d: int | None
    expansion_type: ExpansionType
    expansion_reason: EvidenceLine
    unevaluated_types: tuple[ExpansionType, ...]
    currency: str
    current_arr: float
    proposed_expansion_value: float
    total_proposed_arr: float
    pricing: PriceQuote
    gate: ReadinessGate
    gate_fixes: tuple[GateFix, ...]
    blockers: tuple[Blocker, ...]
    triggers: tuple[Trigger, ...]
    roi: ExpansionRoi
    value_case: ValueCase
    benchmarks: tuple[BenchmarkLine, ...]
    switching_cost: SwitchingCost
    calendar: ExpansionCalendar
    renewal_timeline: tuple[RenewalMilestone, ...]
    usage: UsageSummary | None
    missing_evidence: tuple[MissingEvidence, ...]

    @property
    def latest_trigger(self) -> Trigger | None:
        return self.triggers[0] if self.triggers else None


def peer_metrics(account: Account, usage: UsageFacts | None) -> PeerMetrics:
    """What segment benchmarks compare. It reads only the activity figures (active users, workflow
    completions), so a whole-book activity scan is enough to build a book's peers."""
    if usage is None:
        return PeerMetrics(
            account_id=account.account_id,
            segment=account.segment,
            utilisation=None,
            active_user_ratio=None,
            workflow_completions_90d=None,
        )
    return PeerMetrics(
        account_id=account.account_id,
        segment=account.segment,
        utilisation=utilisation(active_users(usage), account.seats_licensed),
        active_user_ratio=active_user_ratio(usage),
        workflow_completions_90d=usage.workflow_completions_90d,
    )


def assess(snapshot: AccountSnapshot, peers: SegmentPeers, rules: Rules) -> AccountAssessment:
    usage = summarise_usage(snapshot, rules)
    score = readiness_score(snapshot, usage, rules)
    choice, quote = priced(snapshot, usage, rules)
    roi = expansion_roi(snapshot, choice, quote, rules)
    found_blockers = blockers(snapshot, rules)
    gate = readiness_gate(snapshot, rules)
    a = snapshot.account
    return AccountAssessment(
        account_id=a.account_id,
        name=a.name,
        segment=a.segment,
        csm_owner=a.csm_owner,
        as_of=snapshot.as_of,
        score=score.score,
        tier=score.tier,
        signals=score.signals,
        next_tier=next_tier(score, rules, out_of_reach(a.seats_licensed)),
        utilisation=usage.utilisation if usage else None,
        active_users_30d=usage.active_users_30d if usage else None,
        expansion_type=choice.type,
        expansion_reason=choice.reason,
        unevaluated_types=choice.unevaluated,
        currency=a.currency,
        current_arr=a.arr,
        proposed_expansion_value=quote.proposed_expansion_value,
        total_proposed_arr=quote.total_proposed_arr,
        pricing=quote,
        gate=gate,
        gate_fixes=gate_fixes(snapshot, gate, rules),
        blockers=found_blockers,
        triggers=triggers(snapshot, usage, rules),
        roi=roi,
        value_case=roi.value_case,
        benchmarks=benchmarks(peer_metrics(a, snapshot.usage), peers, rules),
        switching_cost=switching_cost(snapshot, usage.active_users_30d if usage else None, rules),
        calendar=expansion_calendar(snapshot.as_of, found_blockers, rules, a.renewal_date),
        renewal_timeline=pre_renewal_timeline(snapshot.as_of, a.renewal_date, rules),
        usage=usage,
        missing_evidence=snapshot.missing,
    )


RankOrder = tuple[int, float, str]


def order_key(score: int, proposed_expansion_value: float, account_id: str) -> RankOrder:
    """Best first: score, then proposed value, then account id (SPEC: ties by value, then id)."""
    return (-score, -proposed_expansion_value, account_id)


def rank_order(assessment: AccountAssessment) -> RankOrder:
    return order_key(assessment.score, assessment.proposed_expansion_value, assessment.account_id)


def readiness(snapshot: AccountSnapshot, rules: Rules, at_least: int = 0) -> tuple[int, ReadinessTier] | None:
    """The readiness score and tier alone, from the rules `assess` applies (a sixth of an assessment's time):
    the first key of the rank order, so a ranking's first cut. None when the score is below
    `at_least` (`readiness_points_reaching`: found without running every rule)."""
    score = readiness_points_reaching(snapshot, summarise_usage(snapshot, rules), rules, at_least)
    return None if score is None else (score, readiness_tier(score, rules))


def standing(snapshot: AccountSnapshot, rules: Rules) -> RankOrder:
    """The account's place in the ranking from the two calculators its order reads (the readiness
    score's points and `priced`, as `assess` calls them), without the rest of the assessment (under a
    third of its time): a ranking that prints its top accounts assesses only those."""
    usage = summarise_usage(snapshot, rules)
    _, quote = priced(snapshot, usage, rules)
    return order_key(
        readiness_points(snapshot, usage, rules), quote.proposed_expansion_value, snapshot.account.account_id
    )
