"""Why, and what would move it: points to the next tier and the signals that alone close the gap, the
fix for each failed gate check with its figure, and each signal's newest-row date and staleness."""

from __future__ import annotations

from datetime import timedelta

from skills.assessment import assess
from skills.discovery.gate_fixes import gate_fixes
from skills.discovery.readiness_gate import readiness_gate
from skills.playbook.next_tier import next_tier, out_of_reach
from skills.playbook.readiness_score import readiness_score
from skills.proposal.benchmarks import segment_peers
from skills.rules import FreshnessRules, Rules
from skills.snapshot import AccountSnapshot, MissingEvidence, Source
from skills.usage.summary import summarise_usage
from tests.factory import AS_OF, account, ago, champion, interaction, outcome, snapshot, usage

RULES = Rules()


def moves(s: AccountSnapshot) -> tuple[int, str | None, int | None, list[str], str]:
    score = readiness_score(s, summarise_usage(s, RULES), RULES)
    n = next_tier(score, RULES)
    return score.score, n.tier, n.points_needed, [o.id for o in n.signals_alone], n.summary


def test_points_to_the_next_tier_and_the_signals_that_alone_get_there() -> None:
    assert moves(snapshot()) == (
        0,
        "candidate",
        10,
        ["capacity", "recent_outcome"],
        "10 points to candidate: capacity (12) or recent_outcome (10) would get there alone",
    )
    # recent outcome (10) → candidate; 10 more to ready: only capacity (12) is heavy enough alone
    assert moves(snapshot(outcomes=(outcome(10),)))[:4] == (10, "ready", 10, ["capacity"])


def test_says_when_no_single_signal_is_enough() -> None:
    s = snapshot(
        account(renewal_date=AS_OF + timedelta(days=90)),
        outcomes=(outcome(10),),
        interactions=(interaction(5, "NPS", source="nps", nps=9),),
    )
    score, tier, gap, alone, summary = moves(s)  # 10 + 7 + 5 = 22 (ready): 13 to priority, capacity is 12
    assert (score, tier, gap, alone) == (22, "priority", 13, [])
    assert summary == "13 points to priority: no single signal is enough (largest unmet: capacity (12))"


def test_unknown_signals_are_offered_as_unknown_and_the_top_tier_has_no_next() -> None:
    s = snapshot(use=None, missing=(MissingEvidence(kind=Source.usage, reason="no usage file"),))
    n = next_tier(readiness_score(s, None, RULES), RULES)
    assert n.signals_alone[0].id == "capacity" and n.signals_alone[0].unknown
    assert "capacity (12, unknown: data missing)" in n.summary
    top = snapshot(
        account(renewal_date=AS_OF + timedelta(days=90), employees_now=150),
        usage(45),
        outcomes=(outcome(10),),
        interactions=(interaction(5, "NPS", source="nps", nps=9),),
    )
    score = readiness_score(top, summarise_usage(top, RULES), RULES)
    assert score.tier == "priority" and next_tier(score, RULES).tier is None


def fixes(s: AccountSnapshot) -> list[str]:
    return [f.action for f in gate_fixes(s, readiness_gate(s, RULES), RULES)]


def test_a_failed_gate_says_what_to_fix_with_the_figure() -> None:
    assert fixes(snapshot()) == []
    assert fixes(snapshot(contacts=(champion(74),))) == [
        f"re-engage the champion: last contact 74 days ago (Sarah, {ago(74)}; needs one in the last 60 days)"
    ]
    assert fixes(snapshot(account(health_score=55), contacts=(champion(status="left"),), outcomes=())) == [
        "raise health to 70, or get the trend up (now 55, trend flat)",
        "record a measurable outcome with the customer: none on record yet",
        "find a new champion: Sarah left the company",
    ]
    assert fixes(snapshot(account(health_score=40, health_trend="down"), contacts=())) == [
        "raise health to 50 and trending up, or to 70 (now 40, trend down)",
        "name a champion: none on record",
    ]


def test_the_assessment_carries_next_tier_and_gate_fixes() -> None:
    a = assess(snapshot(contacts=(champion(74),)), segment_peers([]), RULES)
    assert a.next_tier.points_needed == 10 and [f.check for f in a.gate_fixes] == ["active_champion"]


def test_each_signal_carries_its_source_s_newest_row_and_a_stale_mark() -> None:
    s = snapshot(
        use=usage(newest_event=ago(10)),
        outcomes=(outcome(200), outcome(400)),
        interactions=(interaction(5), interaction(30)),
        contacts=(champion(12),),
    )
    signals = {x.id: x for x in readiness_score(s, summarise_usage(s, RULES), RULES).signals}
    assert (signals["capacity"].as_of_data, signals["capacity"].stale) == (ago(10), True)  # usage limit 7 days
    assert (signals["recent_outcome"].as_of_data, signals["recent_outcome"].stale) == (ago(200), True)  # 180
    assert (signals["promoter"].as_of_data, signals["promoter"].stale) == (ago(5), False)
    assert (signals["renewal_window"].as_of_data, signals["renewal_window"].stale) == (ago(12), False)  # CRM
    relaxed = RULES.model_copy(update={"freshness": FreshnessRules(usage=10, outcomes=365)})
    again = {x.id: x for x in readiness_score(s, summarise_usage(s, relaxed), relaxed).signals}
    assert not again["capacity"].stale and not again["recent_outcome"].stale
    assert sum(x.points for x in again.values()) == sum(x.points for x in signals.values())  # score unchanged


def test_missing_source_is_not_stale_and_silent_usage_is() -> None:
    missing = snapshot(outcomes=(), missing=(MissingEvidence(kind=Source.outcomes, reason="no outcomes.csv"),))
    signals = {x.id: x for x in readiness_score(missing, summarise_usage(missing, RULES), RULES).signals}
    assert (signals["recent_outcome"].as_of_data, signals["recent_outcome"].stale) == (None, False)
    silent = snapshot(use=usage(0, newest_event=None))
    capacity = readiness_score(silent, summarise_usage(silent, RULES), RULES).signals[0]
    assert capacity.id == "capacity" and capacity.as_of_data is None and capacity.stale


def test_one_seat_many_users_is_offered_only_to_a_one_seat_account() -> None:
    s = snapshot(outcomes=(outcome(10),), interactions=(interaction(5, "NPS", source="nps", nps=9),))
    score = readiness_score(s, summarise_usage(s, RULES), RULES)  # 17: 3 points to ready
    assert "one_seat_many_users" in [o.id for o in next_tier(score, RULES, out_of_reach(1)).signals_alone]
    assert "one_seat_many_users" not in [o.id for o in next_tier(score, RULES, out_of_reach(50)).signals_alone]
    assert "one_seat_many_users" not in [o.id for o in assess(s, segment_peers([]), RULES).next_tier.signals_alone]
