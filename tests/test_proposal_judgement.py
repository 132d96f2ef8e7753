"""Issue 11: what a customer reads is never self-defeating, invented or internal. Each example of the issue,
on the calculators and on the bundled demo book."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from server.desk import Desk
from server.proposals import build_proposal, render_markdown
from server.settings import Settings
from skills.catalog import DEFAULT_CATALOG, ExpectedOutcome
from skills.discovery.roi import expansion_roi
from skills.evidence import EvidenceLine
from skills.playbook.calendar import CO_TERM_ACTION, compressed_spans, expansion_calendar
from skills.playbook.expansion_type import ExpansionChoice
from skills.playbook.timing import Blocker
from skills.proposal.assemble import assemble
from skills.proposal.expansion_plan import renewal_risk
from skills.proposal.pricing import price, priced
from skills.proposal.schema import Proposal
from skills.rules import Rules
from skills.snapshot import Source
from skills.usage.summary import summarise_usage
from tests.factory import AS_OF, account, outcome, snapshot, usage
from tests.test_proposal import assembled

RULES = Rules()
VALUE_CLAIM = re.compile(r"payback|additional value|incremental value", re.IGNORECASE)


# --- calendar before renewal ----------------------------------------------------------------------


def test_the_full_90_days_when_the_renewal_is_far() -> None:
    cal = expansion_calendar(AS_OF, (), RULES, AS_OF + timedelta(days=200))
    assert cal.fitted_to_renewal is None and cal.phases[-1].end == AS_OF + timedelta(days=89)


def test_phases_compress_in_proportion_to_end_14_days_before_renewal() -> None:
    """Issue 11: with renewal under 90 days away the calendar ran past it; "send proposal" fell after signing."""
    renewal = AS_OF + timedelta(days=60)
    cal = expansion_calendar(AS_OF, (), RULES, renewal)
    assert cal.fitted_to_renewal == "compressed" and cal.ends_by == renewal - timedelta(days=14)
    assert cal.phases[-1].end == renewal - timedelta(days=14)  # 47 days: (1, 3), (4, 10), (11, 23), (24, 39), (40, 47)
    assert [p.days for p in cal.phases] == ["1–3", "4–10", "11–23", "24–39", "40–47"]
    assert all(p.end <= cal.ends_by for p in cal.phases) and len(cal.phases) == 5
    send = next(p for p in cal.phases if p.action.startswith("Send the proposal"))
    assert send.end < renewal - timedelta(weeks=2)  # before contract execution (2 weeks out)


def test_compressed_spans_cover_every_day_once() -> None:
    for days in range(21, 91):
        spans = compressed_spans(RULES.calendar.phases, days)
        assert spans[0][0] == 1 and spans[-1][1] == days
        assert all(lo <= hi for lo, hi in spans) and all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans))


def test_fewer_than_21_days_left_is_one_co_term_step() -> None:
    renewal = AS_OF + timedelta(days=30)  # cut-off on day 17
    cal = expansion_calendar(AS_OF, (), RULES, renewal)
    assert cal.fitted_to_renewal == "co_term" and [p.action for p in cal.phases] == [CO_TERM_ACTION]
    assert cal.phases[0].end == renewal - timedelta(days=14)


def test_a_dated_blocker_moves_the_start_and_the_cut_off_stays() -> None:
    blocker = Blocker(id="quarter_end", detail="quarter end", source=Source.crm, clears_on=AS_OF + timedelta(days=10))
    renewal = AS_OF + timedelta(days=60)
    cal = expansion_calendar(AS_OF, (blocker,), RULES, renewal)
    assert cal.first_allowed_day == AS_OF + timedelta(days=10) and cal.phases[-1].end == renewal - timedelta(days=14)


# --- ROI and value case -----------------------------------------------------------------------------


def test_money_outcomes_count_in_current_value_and_convert_with_fx() -> None:
    """Issue 11: "33,240 USD saved" was valued at the hours alone."""
    catalog = DEFAULT_CATALOG.model_copy(update={"base_currency": "USD", "fx": {"EUR": 1.1}})
    rules = RULES.with_catalog(catalog)
    snap = snapshot(
        outcomes=(
            outcome(30, 100),
            outcome(40, 33240, metric="cost_saved", unit="USD", description="33,240 USD saved"),
            outcome(50, 1000, metric="cost_saved", unit="EUR", description="1,000 EUR saved"),
            outcome(60, 500, metric="cost_saved", unit="GBP", description="500 GBP saved"),
        )
    )
    u = summarise_usage(snap, rules)
    choice = priced(snap, u, rules)[0]
    roi = expansion_roi(snap, choice, price(snap, choice, u, rules), rules)
    assert roi.current_value == pytest.approx(100 * 60 + 33240 + 1100)
    assert "not counted (no fx rate to USD): 500 GBP" in roi.current_value_basis


def test_tier_upgrade_uses_the_next_tier_s_expected_outcome_else_not_estimated() -> None:
    snap = snapshot(use=usage(10, gate_hits_90d={"sso": 3}))
    u = summarise_usage(snap, RULES)
    choice = priced(snap, u, RULES)[0]
    quote = price(snap, choice, u, RULES)
    unknown = expansion_roi(snap, choice, quote, RULES)
    assert (unknown.value_case, unknown.payback_months) == ("unknown", None)
    assert unknown.value_case_reason == "not estimated: the catalog gives no expected outcome for the enterprise tier"
    tiers = tuple(
        t.model_copy(update={"expected_outcome": ExpectedOutcome(metric="hours_saved", value=500)})
        if t.id == "enterprise"
        else t
        for t in DEFAULT_CATALOG.tiers
    )
    rules = RULES.with_catalog(DEFAULT_CATALOG.model_copy(update={"tiers": tiers}))
    known = expansion_roi(snap, choice, quote, rules)
    # 500 h × 60 = 30,000 a year for a 20,000 upgrade (400 × 50 seats): payback 8 months, strong
    assert (known.expected_incremental_value, known.payback_months, known.value_case) == (30000, 8.0, "strong")


def test_value_case_thresholds() -> None:
    snap = snapshot()
    cross = ExpansionChoice(
        type="cross_sell", module_id="analytics", reason=EvidenceLine(text="x", source=Source.catalog)
    )
    quote = price(snap, cross, None, RULES)
    roi = expansion_roi(snap, cross, quote, RULES)
    assert (roi.payback_months, roi.value_case) == (15.0, "weak")  # 9000 / (120 × 60 / 12)
    at_twelve = quote.model_copy(update={"proposed_expansion_value": 7200.0})  # 7200 / 600 = 12.0: strong
    assert expansion_roi(snap, cross, at_twelve, RULES).value_case == "strong"


# --- expansion plan -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "trend", "level"),
    [(85, "flat", "green"), (72, "down", "amber"), (65, "up", "amber"), (45, "up", "red")],
)
def test_renewal_risk_level(health: float, trend: str, level: str) -> None:
    snap = snapshot(account(health_score=health, health_trend=trend, renewal_date=AS_OF + timedelta(days=100)))
    a = assembled(snap)
    assert a.core.expansion_plan.renewal_strategy is not None
    assert a.core.expansion_plan.renewal_strategy.risk_level == level
    assert renewal_risk(a_assessment(snap), snap, RULES)[0] == level


def a_assessment(snap):  # type: ignore[no-untyped-def]
    from skills.assessment import assess, peer_metrics
    from skills.proposal.benchmarks import segment_peers

    return assess(snap, segment_peers([peer_metrics(snap.account, snap.usage)]), RULES)


def test_the_plan_lists_other_plays_by_value_and_the_confidence_hook() -> None:
    snap = snapshot(account(renewal_date=AS_OF + timedelta(days=100)), use=usage(45))
    plan = assembled(snap).core.expansion_plan
    assert [p.expansion_type for p in plan.plays] == ["seat_growth", "multi_year_renewal"]
    assert plan.expansion_potential == sum(p.estimated_arr_impact for p in plan.plays)
    assert plan.confidence == "not calibrated"
    choice = priced(snap, summarise_usage(snap, RULES), RULES)[0]
    assert (
        assemble(a_assessment(snap), snap, choice, RULES, confidence="34% (backtest)").core.expansion_plan.confidence
        == "34% (backtest)"
    )


def test_no_renewal_strategy_beyond_six_months() -> None:
    assert (
        assembled(snapshot(account(renewal_date=AS_OF + timedelta(days=200)))).core.expansion_plan.renewal_strategy
        is None
    )


# --- on the bundled demo -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Desk:
    return Desk(Settings(workspace=None))


def customer_words(p: Proposal) -> str:
    parts = [text for _, text in p.customer_summary]
    parts += [s.script for s in p.conversation_scripts] + [o.response for o in p.objection_responses]
    return " ".join(parts + p.discovery_questions)


def test_acc_00001_no_longer_argues_against_buying(demo: Desk) -> None:
    """Issue 11: "USD 12,000 per year … about USD 7,650 a year in additional value — a payback of roughly 18.8 months"."""
    p = build_proposal(demo, "ACC-00001", drafter="template")
    assert p.value_case == "weak" and p.roi.payback_months is not None and p.roi.payback_months > 12
    assert not VALUE_CLAIM.search(customer_words(p))
    assert any("weak value case" in r and "smaller first step" in r for r in p.internal_prep.risk_factors)
    internal, customer = render_markdown(p)
    assert "Value case: weak" in internal and "Expansion potential: USD" in internal and "| not calibrated" in internal
    assert "payback" not in customer.lower()


def test_no_demo_account_is_offered_at_0(demo: Desk) -> None:
    """Issue 11: 15 of 200 demo accounts got seat_growth at +0 seats, USD 0."""
    rows = demo.rank()
    assert len(rows) == 200 and [a.account_id for a in rows if a.proposed_expansion_value <= 0] == []


def test_the_money_outcome_of_acc_00199_counts(demo: Desk) -> None:
    roi = demo.assess("ACC-00199").roi
    assert (
        roi.current_value is not None
        and roi.current_value >= 33240
        and "33,240 USD reported saved" in roi.current_value_basis
    )


def test_a_forced_cross_sell_without_a_stated_need_is_honest(demo: Desk) -> None:
    """Issue 11: `propose --type cross_sell` wrote "I noticed your team mentioned a new need" and kept seat scripts."""
    account_id = next(
        a.account_id
        for a in demo.rank()
        if a.expansion_type == "seat_growth"
        and not next(s for s in a.signals if s.id == "aligned_initiative").met
        and a.gate.passed
        and not a.blockers
    )
    p = build_proposal(demo, account_id, "cross_sell", drafter="template")
    assert p.offer_chosen_by == "csm" and p.drafted_by.offer_chosen_by == "csm"
    assert "The CSM chose this offer (the rules chose seat_growth)" in p.brief
    said = customer_words(p)
    assert "mentioned" not in said and "new need" not in said
    assert {s.trigger for s in p.conversation_scripts} <= {
        "success_moment",
        "ahead_of_renewal",
        "new_initiative",
        "check_in",
    }
    assert "seat" not in " ".join(s.script for s in p.conversation_scripts).lower()


def test_demo_calendars_end_14_days_before_renewal(demo: Desk) -> None:
    for a in demo.rank():
        cut_off = a.calendar.ends_by
        if cut_off is not None and cut_off >= a.calendar.first_allowed_day:
            assert a.calendar.phases[-1].end <= cut_off, a.account_id
