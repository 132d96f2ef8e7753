"""Every SPEC §3 rule pinned at its boundaries, through the pure calculators."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skills.assessment import assess
from skills.catalog import DEFAULT_CATALOG
from skills.discovery.readiness_gate import readiness_gate
from skills.discovery.roi import expansion_roi
from skills.evidence import recent_interactions
from skills.playbook.calendar import expansion_calendar
from skills.playbook.expansion_type import holding_offers
from skills.playbook.readiness_score import module_mentions, readiness_score, readiness_tier
from skills.playbook.timing import blockers, fiscal_quarter_end, triggers
from skills.proposal.benchmarks import PeerMetrics, benchmarks, percentile_rank, segment_peers
from skills.proposal.pricing import price, priced
from skills.proposal.switching_cost import switching_cost
from skills.renewal.pre_renewal_timeline import pre_renewal_timeline
from skills.rules import Rules
from skills.snapshot import DepartmentSpread, MissingEvidence, RegionUsage, SharingUser, Source
from skills.usage.summary import summarise_usage
from tests.factory import AS_OF, account, ago, champion, interaction, outcome, snapshot, ticket, usage

RULES = Rules()


def signal(snap, signal_id):  # type: ignore[no-untyped-def]
    score = readiness_score(snap, summarise_usage(snap, RULES), RULES)
    return next(s for s in score.signals if s.id == signal_id)


@pytest.mark.parametrize(("active", "met"), [(39, False), (40, True)])
def test_capacity_signal_at_079_and_080(active: int, met: bool) -> None:
    s = signal(snapshot(use=usage(active)), "capacity")
    assert s.met is met and s.points == (12 if met else 0)
    assert f"{round(active / 50 * 100)}% of 50 seats" in s.evidence and s.source == Source.usage


@pytest.mark.parametrize(("days_to_renewal", "met"), [(59, False), (60, True), (120, True), (121, False)])
def test_renewal_window_boundaries(days_to_renewal: int, met: bool) -> None:
    snap = snapshot(account(renewal_date=AS_OF + timedelta(days=days_to_renewal)))
    assert signal(snap, "renewal_window").met is met


@pytest.mark.parametrize(("age", "met"), [(0, True), (59, True), (60, False), (61, False)])
def test_promoter_needs_nps_8_within_60_days(age: int, met: bool) -> None:
    snap = snapshot(interactions=(interaction(age, "great", source="nps", nps=9),))
    assert signal(snap, "promoter").met is met


def test_promoter_uses_latest_nps_only() -> None:
    older_promoter = interaction(20, "love it", source="nps", nps=10, iid="a")
    newer_detractor = interaction(10, "meh", source="nps", nps=6, iid="b")
    assert signal(snapshot(interactions=(older_promoter, newer_detractor)), "promoter").met is False
    assert signal(snapshot(interactions=(interaction(3, "ok", source="nps", nps=8),)), "promoter").met is True
    assert signal(snapshot(interactions=(interaction(3, "ok", source="nps", nps=7),)), "promoter").met is False


@pytest.mark.parametrize(("age", "met"), [(89, True), (90, False)])
def test_recent_outcome_is_90_days(age: int, met: bool) -> None:
    assert signal(snapshot(outcomes=(outcome(age),)), "recent_outcome").met is met


def test_one_seat_many_users() -> None:
    one_seat = account(seats_licensed=1, arr=800)
    assert signal(snapshot(one_seat, use=usage(2)), "one_seat_many_users").met is True
    assert signal(snapshot(one_seat, use=usage(1)), "one_seat_many_users").met is False
    assert signal(snapshot(account(seats_licensed=2), use=usage(2)), "one_seat_many_users").met is False


def test_team_and_company_growth() -> None:
    assert signal(snapshot(account(employees_now=101)), "team_growth").met is True
    assert signal(snapshot(account(employees_now=101)), "company_growth").met is True
    assert signal(snapshot(account(revenue_now=1_000_001)), "company_growth").met is True
    assert signal(snapshot(account(revenue_now=1_000_001)), "team_growth").met is False
    spread = usage(20, new_departments=(DepartmentSpread(department="Marketing", first_seen=ago(89), users=12),))
    s = signal(snapshot(use=spread), "team_growth")
    assert s.met is True and "12 users from Marketing" in s.evidence
    old = usage(20, new_departments=(DepartmentSpread(department="Marketing", first_seen=ago(90), users=12),))
    assert signal(snapshot(use=old), "team_growth").met is False


def test_asked_unowned_features_from_gate_hits_or_conversation() -> None:
    assert signal(snapshot(use=usage(20, gate_hits_90d={"sso": 1})), "asked_unowned_features").met is True
    asked = snapshot(interactions=(interaction(80, "Can we get SSO for the team?"),))
    assert signal(asked, "asked_unowned_features").met is True
    own_tier = snapshot(interactions=(interaction(80, "Love the automations"),))  # growth feature: owned
    assert signal(own_tier, "asked_unowned_features").met is False
    too_old = snapshot(interactions=(interaction(90, "Can we get SSO?"),))
    assert signal(too_old, "asked_unowned_features").met is False


def test_aligned_initiative_whole_words_case_insensitive() -> None:
    assert signal(snapshot(interactions=(interaction(10, "New REPORTING initiative"),)), "aligned_initiative").met
    assert not signal(snapshot(interactions=(interaction(10, "misreportings"),)), "aligned_initiative").met
    owned = snapshot(account(products=("analytics",)), interactions=(interaction(10, "reporting push"),))
    assert not signal(owned, "aligned_initiative").met


@pytest.mark.parametrize(
    ("score", "tier"),
    [(9, "not_yet"), (10, "candidate"), (19, "candidate"), (20, "ready"), (34, "ready"), (35, "priority")],
)
def test_tier_cutoffs(score: int, tier: str) -> None:
    assert readiness_tier(score, RULES) == tier


def test_score_sums_met_signals() -> None:
    snap = snapshot(
        account(employees_now=120, renewal_date=AS_OF + timedelta(days=90)),
        use=usage(45),
        outcomes=(outcome(10),),
        interactions=(interaction(5, "great", source="nps", nps=9),),
    )
    score = readiness_score(snap, summarise_usage(snap, RULES), RULES)
    # capacity 12 + outcome 10 + team 8 + promoter 7 + renewal 5 + company 4
    assert score.score == 46 and score.tier == "priority"


def test_missing_usage_is_unknown_not_guessed() -> None:
    snap = snapshot(use=None, missing=(MissingEvidence(kind=Source.usage, reason="warehouse down"),))
    s = signal(snap, "capacity")
    assert s.met is None and s.points == 0 and "missing" in s.evidence
    choice = priced(snap, None, RULES)[0]
    assert "seat_growth" in choice.unevaluated


def test_a_copy_with_other_missing_evidence_lacks_what_it_says() -> None:
    """`lacks` remembers its answer on the snapshot; a copy with other `missing` must not read the
    original's (model_copy copies that memory along with the fields)."""
    whole = snapshot()
    assert not whole.lacks(Source.usage)
    down = (MissingEvidence(kind=Source.usage, reason="warehouse down"),)
    copy = whole.model_copy(update={"usage": None, "missing": down})
    assert copy.lacks(Source.usage) and not copy.lacks(Source.support)
    assert signal(copy, "capacity").met is None
    assert not whole.lacks(Source.usage)


@pytest.mark.parametrize("deep", [False, True])
def test_a_copy_with_other_interactions_or_day_derives_its_mentions_afresh(deep: bool) -> None:
    """Recent interactions and module mentions are derived once per snapshot and shared by the
    calculators of one assessment; a copy for another day or other records must not read them."""
    whole = snapshot(interactions=(interaction(5, "We plan new dashboards for the board"),))
    assert [m for m, named in module_mentions(whole, RULES.catalog, 90) if named] == ["analytics"]
    assert signal(whole, "aligned_initiative").met
    quiet = whole.model_copy(update={"interactions": (interaction(5, "Weekly check-in"),)}, deep=deep)
    assert not any(named for _, named in module_mentions(quiet, RULES.catalog, 90))
    assert not signal(quiet, "aligned_initiative").met
    later = whole.model_copy(update={"as_of": AS_OF + timedelta(days=120)}, deep=deep)
    assert recent_interactions(later, 90) == () and recent_interactions(whole, 90) != ()
    assert not signal(later, "aligned_initiative").met
    assert signal(whole, "aligned_initiative").met


def test_a_derived_value_is_computed_once_per_key_and_input() -> None:
    whole, calls = snapshot(), []
    for catalog in (RULES.catalog, RULES.catalog, DEFAULT_CATALOG.model_copy()):
        assert whole.derived("probe", lambda: calls.append(1) or len(calls), catalog) >= 1
    assert len(calls) == 2  # the same catalog object once, an equal but other one again


# --- readiness gate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "trend", "passed"),
    [(70, "flat", True), (69, "up", True), (69, "flat", False), (50, "up", True), (49, "up", False)],
)
def test_gate_health(health: float, trend: str, passed: bool) -> None:
    gate = readiness_gate(snapshot(account(health_score=health, health_trend=trend)), RULES)
    assert gate.passed is passed


@pytest.mark.parametrize(("engaged", "passed"), [(59, True), (60, False)])
def test_gate_champion_engaged_within_60_days(engaged: int, passed: bool) -> None:
    assert readiness_gate(snapshot(contacts=(champion(engaged),)), RULES).passed is passed


def test_gate_failures_name_their_reasons() -> None:
    gate = readiness_gate(snapshot(contacts=(champion(5, status="left"),), outcomes=()), RULES)
    assert not gate.passed
    assert any("no measurable outcome" in r for r in gate.reasons)
    assert any("champion has left" in r for r in gate.reasons)


# --- timing ------------------------------------------------------------------------------------


def test_open_p1_p2_block_but_p3_and_solved_do_not() -> None:
    ids = lambda snap: [b.id for b in blockers(snap, RULES)]  # noqa: E731
    assert ids(snapshot(tickets=(ticket("P2", "pending"),))) == ["open_critical_ticket"]
    assert ids(snapshot(tickets=(ticket("P1", "open"),))) == ["open_critical_ticket"]
    assert ids(snapshot(tickets=(ticket("P3", "open"), ticket("P1", "solved")))) == []


@pytest.mark.parametrize(("age", "blocked"), [(59, False), (60, True)])
def test_no_recent_contact_after_60_days(age: int, blocked: bool) -> None:
    found = [b.id for b in blockers(snapshot(interactions=(interaction(age),)), RULES)]
    assert ("no_recent_contact" in found) is blocked


@pytest.mark.parametrize(
    ("as_of", "blocked"),
    [(date(2026, 12, 17), False), (date(2026, 12, 18), True), (date(2026, 12, 31), True), (date(2027, 1, 1), False)],
)
def test_quarter_end_blackout_fewer_than_14_days(as_of: date, blocked: bool) -> None:
    snap = snapshot().model_copy(update={"as_of": as_of})
    assert ("quarter_end" in [b.id for b in blockers(snap, RULES)]) is blocked


def test_fiscal_quarter_follows_fiscal_year_start() -> None:
    assert fiscal_quarter_end(date(2026, 11, 16), 1) == date(2026, 12, 31)
    assert fiscal_quarter_end(date(2026, 11, 16), 2) == date(2027, 1, 31)
    assert fiscal_quarter_end(date(2026, 1, 5), 4) == date(2026, 3, 31)


def test_triggers_most_recent_first() -> None:
    snap = snapshot(
        account(renewal_date=AS_OF + timedelta(days=80)),
        outcomes=(outcome(30),),
        interactions=(interaction(3, "we need better dashboards"),),
    )
    found = triggers(snap, summarise_usage(snap, RULES), RULES)
    assert [t.id for t in found] == ["initiative_mentioned", "renewal_in_90_days", "outcome_reported"]


def test_capacity_trigger_dates_the_current_run() -> None:
    history = tuple(45 if k < 3 else 40 for k in range(13))
    snap = snapshot(use=usage(45, weekly_active_users=history))
    found = {t.id: t for t in triggers(snap, summarise_usage(snap, RULES), RULES)}
    assert found["capacity_reached"].date == ago(14)


# --- expansion type and pricing ------------------------------------------------------------------


def choose(snap):  # type: ignore[no-untyped-def]
    return priced(snap, summarise_usage(snap, RULES), RULES)[0]


def test_expansion_type_order() -> None:
    assert choose(snapshot(use=usage(40))).type == "seat_growth"
    sharing = usage(37, sharing_users=(SharingUser(user_id="u1", days=3),))  # demand 38 / 0.75 → 51 > 50 seats
    assert choose(snapshot(use=sharing)).type == "seat_growth"
    assert choose(snapshot(use=usage(10, sharing_users=(SharingUser(user_id="u1", days=2),)))).type != "seat_growth"
    assert choose(snapshot(use=usage(10, gate_hits_90d={"SSO": 2, "audit_log": 1}))).type == "tier_upgrade"
    assert choose(snapshot(use=usage(10, gate_hits_90d={"sso": 2}))).type != "tier_upgrade"
    cross = snapshot(use=usage(10), interactions=(interaction(5, "Our analysts want dashboards"),))
    assert choose(cross).type == "cross_sell" and choose(cross).module_id == "analytics"
    geo = usage(10, regions_90d=(RegionUsage(region="NA", users_90d=8), RegionUsage(region="EMEA", users_90d=3)))
    assert choose(snapshot(use=geo)).type == "geographic_expansion"
    renew = snapshot(account(renewal_date=AS_OF + timedelta(days=180)), use=usage(10))
    assert choose(renew).type == "multi_year_renewal"
    late = snapshot(account(renewal_date=AS_OF + timedelta(days=181)), use=usage(10))
    assert choose(late).type == "professional_services"
    unhealthy = snapshot(account(renewal_date=AS_OF + timedelta(days=100), health_score=69), use=usage(10))
    assert choose(unhealthy).type == "professional_services"


def quote(snap):  # type: ignore[no-untyped-def]
    u = summarise_usage(snap, RULES)
    return price(snap, priced(snap, u, RULES)[0], u, RULES)


def test_seat_growth_price_rounds_up_to_pack() -> None:
    # demand 45 + 2 sharing = 47; ceil(47 / 0.75) = 63; 63 - 50 = 13 → 15 seats × 800
    snap = snapshot(use=usage(45, sharing_users=(SharingUser(user_id="a", days=3), SharingUser(user_id="b", days=4))))
    q = quote(snap)
    assert (q.seats_added, q.proposed_expansion_value, q.total_proposed_arr) == (15, 12000, 52000)
    assert q.discount_authority == 0.10


def test_seat_growth_never_negative() -> None:
    spread = usage(5, new_departments=(DepartmentSpread(department="Marketing", first_seen=ago(3), users=2),))
    snap = snapshot(use=spread)
    u = summarise_usage(snap, RULES)
    seat = next(c for c in holding_offers(snap, u, RULES) if c.type == "seat_growth")
    q = price(snap, seat, u, RULES)
    assert q.seats_added == 0 and q.proposed_expansion_value == 0


def test_a_rule_priced_at_0_does_not_hold_the_next_type_is_tried() -> None:
    """Issue 11: 15 of 200 demo accounts got seat_growth at +0 seats, USD 0. SPEC §3: the next rule is tried."""
    spread = usage(5, new_departments=(DepartmentSpread(department="Marketing", first_seen=ago(3), users=2),))
    assert choose(snapshot(use=spread)).type == "professional_services"
    assert "seat_growth would add nothing: priced at 0" in choose(snapshot(use=spread)).reason.text
    renew = snapshot(account(renewal_date=AS_OF + timedelta(days=100)), use=spread)
    assert choose(renew).type == "multi_year_renewal" and quote(renew).proposed_expansion_value == 2000
    cross = snapshot(use=spread, interactions=(interaction(5, "dashboards please"),))
    assert quote(cross).expansion_type == "cross_sell" and quote(cross).proposed_expansion_value == 9000


def test_other_prices() -> None:
    assert quote(snapshot(use=usage(10, gate_hits_90d={"sso": 3}))).proposed_expansion_value == 400 * 50
    cross = snapshot(use=usage(10), interactions=(interaction(5, "dashboards please"),))
    assert quote(cross).proposed_expansion_value == 9000
    geo = usage(10, regions_90d=(RegionUsage(region="EMEA", users_90d=6),))
    assert quote(snapshot(use=geo)).proposed_expansion_value == 10 * 800
    renew = snapshot(account(renewal_date=AS_OF + timedelta(days=100)), use=usage(10))
    assert quote(renew).proposed_expansion_value == 2000
    assert quote(snapshot(use=usage(10))).proposed_expansion_value == 15000


# --- ROI, benchmarks, switching cost, calendar, renewal timeline --------------------------------


def test_roi_scales_value_per_seat() -> None:
    snap = snapshot(use=usage(45, sharing_users=(SharingUser(user_id="a", days=3),)), outcomes=(outcome(30, 500),))
    u = summarise_usage(snap, RULES)
    choice = priced(snap, u, RULES)[0]
    q = price(snap, choice, u, RULES)
    roi = expansion_roi(snap, choice, q, RULES)
    assert roi.current_value == 500 * 60
    assert roi.expected_incremental_value == pytest.approx(500 * 60 / 50 * q.seats_added)
    assert roi.payback_months == round(q.proposed_expansion_value / (roi.expected_incremental_value / 12), 1)


def test_roi_ignores_outcomes_older_than_12_months_and_unknown_for_tier_upgrade() -> None:
    snap = snapshot(use=usage(10, gate_hits_90d={"sso": 3}), outcomes=(outcome(365, 100), outcome(364, 10)))
    u = summarise_usage(snap, RULES)
    choice = priced(snap, u, RULES)[0]
    roi = expansion_roi(snap, choice, price(snap, choice, u, RULES), RULES)
    assert roi.current_value == 600 and roi.payback_months is None and roi.expected_incremental_value is None


def test_benchmark_percentiles_and_labels() -> None:
    peers = segment_peers(
        PeerMetrics(
            account_id=str(i), segment="smb", utilisation=i / 10, active_user_ratio=None, workflow_completions_90d=i
        )
        for i in range(1, 9)
    )
    assert percentile_rank(0.5, (0.1, 0.5, 0.9)) == 50.0
    me = PeerMetrics(account_id="x", segment="smb", utilisation=0.8, active_user_ratio=None, workflow_completions_90d=2)
    lines = {b.metric: b for b in benchmarks(me, peers, RULES)}
    assert lines["utilisation"].label == "top quartile" and lines["workflow_completions_90d"].label == "below median"
    assert "active_user_ratio" not in lines


def test_a_peer_value_s_percentile_is_its_mid_rank_among_ties() -> None:
    """The percentiles a book's peers work out once are the mid-rank `percentile_rank` gives, ties
    included; a value no peer has is ranked among them all the same."""
    completions = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 5]
    peers = segment_peers(
        PeerMetrics(
            account_id=str(i), segment="smb", utilisation=None, active_user_ratio=None, workflow_completions_90d=n
        )
        for i, n in enumerate(completions)
    )
    ranked = tuple(sorted(map(float, completions)))
    for n in [*completions, 0, 7, 10]:
        assert peers.percentile_of("smb", "workflow_completions_90d", float(n)) == percentile_rank(float(n), ranked)
    assert peers.percentile_of("smb", "workflow_completions_90d", 5.0) == 66.7  # 6 below, 4 equal, of 12
    assert peers.percentile_of("smb", "workflow_completions_90d", 7.0) == 91.7  # no peer has 7: 11 below, none equal


@pytest.mark.parametrize(
    ("integrations", "active", "start_days", "level"),
    [(3, 25, 400, "High"), (3, 24, 100, "Medium"), (2, 24, 100, "Low"), (2, 25, 400, "High")],
)
def test_switching_cost(integrations: int, active: int, start_days: int, level: str) -> None:
    snap = snapshot(account(integrations_count=integrations, contract_start=ago(start_days)))
    assert switching_cost(snap, active, RULES).level == level


def test_switching_cost_unknown_without_usage_unless_decided() -> None:
    assert switching_cost(snapshot(account(integrations_count=0)), None, RULES).level is None
    assert switching_cost(snapshot(account(integrations_count=5)), None, RULES).level == "High"


def test_calendar_starts_after_quarter_end_blackout() -> None:
    snap = snapshot().model_copy(update={"as_of": date(2026, 12, 20)})
    found = blockers(snap, RULES)
    cal = expansion_calendar(snap.as_of, found, RULES)
    assert cal.first_allowed_day == date(2027, 1, 1)
    assert (cal.phases[0].start, cal.phases[0].end) == (date(2027, 1, 1), date(2027, 1, 7))
    assert cal.phases[-1].end == date(2027, 1, 1) + timedelta(days=89)


def test_calendar_lists_undated_blockers_as_conditions() -> None:
    cal = expansion_calendar(AS_OF, blockers(snapshot(tickets=(ticket("P1"),)), RULES), RULES)
    assert cal.first_allowed_day == AS_OF and "P1 ticket" in cal.conditions[0]


def test_pre_renewal_timeline_only_within_six_months() -> None:
    renewal = AS_OF + timedelta(days=60)
    timeline = pre_renewal_timeline(AS_OF, renewal, RULES)
    assert [m.weeks_before for m in timeline] == [12, 8, 4, 2]
    assert timeline[0].past and not timeline[-1].past
    assert pre_renewal_timeline(AS_OF, date(2027, 5, 17), RULES) == ()
    assert len(pre_renewal_timeline(AS_OF, date(2027, 5, 16), RULES)) == 4


def test_assessment_carries_evidence_for_every_signal() -> None:
    a = assess(snapshot(use=usage(45)), segment_peers([]), RULES)
    assert len(a.signals) == 9 and all(s.evidence and s.source for s in a.signals)
    assert a.total_proposed_arr == a.current_arr + a.proposed_expansion_value


def test_missing_support_or_conversations_blocks_as_unknown() -> None:
    missing = (
        MissingEvidence(kind=Source.support, reason="zendesk: 401"),
        MissingEvidence(kind=Source.conversations, reason="gong down"),
    )
    found = blockers(snapshot(missing=missing, interactions=()), RULES)
    assert [(b.id, b.unknown) for b in found] == [("open_critical_ticket", True), ("no_recent_contact", True)]
    assert "zendesk: 401" in found[0].detail


def test_benchmarks_need_five_peers_in_the_segment() -> None:
    few = segment_peers(
        PeerMetrics(
            account_id=str(i), segment="smb", utilisation=i / 10, active_user_ratio=None, workflow_completions_90d=i
        )
        for i in range(4)
    )
    me = PeerMetrics(account_id="x", segment="smb", utilisation=0.3, active_user_ratio=None, workflow_completions_90d=3)
    assert benchmarks(me, few, RULES) == ()
