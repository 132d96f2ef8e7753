"""The draft checks v2 (SPEC §4), rule by rule, over every customer-facing field.

Each violation names the field, the span and the rule. The issue-11 examples are here one by one: number
words, multipliers, a count reused as a percentage, the wrong currency, figures from a ticket subject,
discount synonyms, internal content in scripts and objection responses, and a customer's own words that
mention a discount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.drafting.template import template_draft
from skills.proposal.checks import CheckFailure, check_draft
from skills.proposal.checks.figures import figures
from skills.proposal.checks.leaks import any_term, term_pattern
from skills.proposal.schema import ConversationScript, DraftedText, DraftFacts, ObjectionResponse
from skills.rules import DraftRules, Rules
from skills.snapshot import Ticket
from tests.factory import account, ago, interaction, outcome, snapshot, usage
from tests.test_proposal import assembled

FREIGHT = "Negotiated a 12% discount with their freight vendor using the new reports"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("USD 12,000 per year", [("money", "12000", "USD")]),
        ("$12,000 or $12k or 12000", [("money", "12000", "USD"), ("money", "12000", "USD"), ("count", "12000", None)]),
        ("33,240 USD saved", [("money", "33240", "USD")]),
        ("EUR 12,000", [("money", "12000", "EUR")]),
        ("fifty thousand dollars", [("money", "50000", "USD")]),
        ("fifty thousand users", [("count", "50000", None)]),
        ("a dozen teams, twelve seats", [("count", "12", None), ("count", "12", None)]),
        ("two hundred and fifty people", [("count", "250", None)]),
        ("twenty-five percent", [("percent", "25", None)]),
        ("93% of seats, 93 % of seats, 26 per cent", [("percent", "93", None)] * 2 + [("percent", "26", None)]),
        ("double the output, 3x faster", [("multiplier", "2", None), ("multiplier", "3", None)]),
        ("payback of 18.8 months", [("count", "18.8", None)]),
        ("no one, one of them, the first result, half an hour", []),
        ("Q3, P2 ticket TKT-00101-02, ACC-00001, u-00001-001, claude-sonnet-4-5", []),
    ],
)
def test_figures_are_typed(text: str, found: list[tuple[str, str, str | None]]) -> None:
    assert [(f.kind, str(f.value), f.currency) for f in figures(text)] == [(k, str(Decimal(v)), c) for k, v, c in found]


def test_dates_are_figures() -> None:
    assert [(f.kind, f.text) for f in figures("renewal on 2027-02-26.")] == [("date", "2027-02-26")]


@pytest.fixture
def facts() -> DraftFacts:
    subject = Ticket(
        ticket_id="T-1",
        account_id="ACC-1",
        priority="P3",
        status="open",
        opened_at=ago(4),
        subject="Bulk import fails on row 2,301",
    )
    snap = snapshot(
        account(products=()),
        use=usage(45),
        outcomes=(
            outcome(
                10,
                value=10,
                metric="cycle_time_reduction",
                unit="percent",
                description="Approval cycle time cut by 10% in Q3",
            ),
            outcome(40, value=12, metric="freight_cost", unit="percent", description=FREIGHT),
        ),
        interactions=(interaction(5, "Weekly check-in"), interaction(9, "We need dashboards", iid="x")),
        tickets=(subject,),
    )
    return assembled(snap).facts


def draft(facts: DraftFacts, **summary: str) -> DraftedText:
    base = template_draft(facts)
    return base.model_copy(update={"customer_summary": base.customer_summary.model_copy(update=summary)})


def failures(facts: DraftFacts, d: DraftedText) -> list[CheckFailure]:
    return list(check_draft(d, facts).failures)


def rules_hit(facts: DraftFacts, d: DraftedText) -> list[tuple[str, str, str]]:
    return [(f.rule, f.field, f.span) for f in failures(facts, d)]


def test_the_template_draft_passes(facts: DraftFacts) -> None:
    assert facts.kind == "expansion_proposal" and facts.currency == "USD"
    assert check_draft(draft(facts), facts).ok


@pytest.mark.parametrize(
    ("text", "rule", "span"),
    [
        ("That is worth fifty thousand to you.", "grounding.count", "fifty thousand"),
        ("Two dozen people joined.", "grounding.count", "Two dozen"),
        ("Seventeen people joined.", "grounding.count", "Seventeen"),
        ("Nineteen people joined.", "grounding.count", "Nineteen"),
        ("You could double the output.", "grounding.multiplier", "double"),
        ("You could work 3x faster.", "grounding.multiplier", "3x"),
        ("You would save 50%.", "grounding.percent", "50%"),  # 50 is the seat count
        ("It costs EUR 8,000 a year.", "grounding.currency", "EUR 8,000"),
        ("You now need 2,301 seats.", "grounding.count", "2,301"),  # only in a ticket subject
        ("Since 2025-01-01 things changed.", "grounding.date", "2025-01-01"),
    ],
)
def test_grounding_is_typed(facts: DraftFacts, text: str, rule: str, span: str) -> None:
    assert (rule, "customer_summary.opening", span) in rules_hit(facts, draft(facts, opening=text))


def test_a_count_reused_as_a_percentage_says_so(facts: DraftFacts) -> None:
    (f,) = [f for f in failures(facts, draft(facts, opening="You would save 50%.")) if f.rule == "grounding.percent"]
    assert "is a count in the evidence, not a percentage" in f.detail


def test_figures_only_in_untrusted_text_ground_nothing(facts: DraftFacts) -> None:
    (f,) = failures(facts, draft(facts, opening="You now need 2,301 seats."))
    assert f.rule == "grounding.count" and "only in untrusted customer text" in f.detail


def test_grounded_figures_of_the_right_kind_pass(facts: DraftFacts) -> None:
    assert failures(facts, draft(facts, opening=f"Price: {facts.price}; {facts.utilisation} in use; 50 seats.")) == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("We can discount this for you.", "discount"),
        ("I can give you a price break.", "price break"),
        ("We can go lower if needed.", "go lower"),
        ("There is a rebate available.", "rebate"),
        ("Take two free months on us.", "free months"),
        ("A special offer, this quarter only.", "special offer"),
        ("That is our best price.", "best price"),
        ("I can do it without approval.", "without approval"),
        ("Your switching cost is high.", "switching cost"),
        ("Happy to negotiate.", "negotiate"),
        ("Take 90% off today.", "% off"),
        ("Your health score is fine.", "health score"),
    ],
)
def test_lexicon_in_every_customer_facing_field(facts: DraftFacts, text: str, span: str) -> None:
    base = draft(facts)
    scripts = [ConversationScript(trigger=s.trigger, script=text) for s in base.conversation_scripts]
    responses = [ObjectionResponse(key=o.key, objection=o.objection, response=text) for o in base.objection_responses]
    d = base.model_copy(update={"conversation_scripts": scripts, "objection_responses": responses})
    hits = [(f.rule, f.field, f.span.lower()) for f in failures(facts, draft(facts, forward_look=text))]
    hits += [(f.rule, f.field, f.span.lower()) for f in failures(facts, d)]
    for field in ("customer_summary.forward_look", "conversation_scripts[0].script", "objection_responses[0].response"):
        assert ("leak.wording", field, span) in hits


def test_internal_wording_is_fine_in_internal_fields(facts: DraftFacts) -> None:
    d = draft(facts).model_copy(update={"recommended_approach": "Do not discount proactively; negotiate later."})
    assert failures(facts, d) == []


def test_the_lexicon_is_configurable() -> None:
    extra = Rules(drafting=DraftRules(extra_lexicon=("loyalty credit",)))
    assert "loyalty credit" in extra.drafting.lexicon and "discount*" in extra.drafting.lexicon


def test_a_verbatim_quote_of_the_customer_is_exempt_for_that_span_only(facts: DraftFacts) -> None:
    quoted = f'Your team told us: "{FREIGHT}".'
    assert failures(facts, draft(facts, value_frame=quoted)) == []
    both = quoted + " We can match that discount."
    assert rules_hit(facts, draft(facts, value_frame=both)) == [
        ("leak.wording", "customer_summary.value_frame", "discount")
    ]


def test_discount_authority_and_floor_price_by_number(facts: DraftFacts) -> None:
    with_authority = facts.model_copy(update={"discount_authority": 0.2, "proposed_value": 8000.0})
    found = rules_hit(
        with_authority, draft(with_authority, expansion_frame="Think of it as 20% less: USD 6,400 instead.")
    )
    assert ("leak.discount_authority", "customer_summary.expansion_frame", "20%") in found
    assert ("leak.pricing_standard", "customer_summary.expansion_frame", "USD 6,400") in found


def test_health_score_by_number(facts: DraftFacts) -> None:
    found = rules_hit(facts, draft(facts, opening=f"You are at {facts.health_score:g} out of a hundred."))
    assert ("leak.health_score", "customer_summary.opening", f"{facts.health_score:g}") in found


def test_a_customer_outcome_with_the_same_percent_is_not_a_leak(facts: DraftFacts) -> None:
    assert facts.discount_authority == 0.10  # seat growth; the customer's own outcome says "cut by 10%"
    assert failures(facts, draft(facts, value_frame="Approval cycle time cut by 10% in Q3.")) == []


def test_risk_factor_text_is_a_leak(facts: DraftFacts) -> None:
    risky = facts.model_copy(update={"risk_factors": ("Per CRM: the CFO is sceptical of the renewal",)})
    found = rules_hit(risky, draft(risky, opening="I know the CFO is sceptical of the renewal."))
    assert found == [("leak.risk_factor", "customer_summary.opening", "the cfo is sceptical of the renewal")]


def test_a_weak_value_case_states_no_payback_or_incremental_value(facts: DraftFacts) -> None:
    weak = facts.model_copy(update={"value_case": "weak", "incremental_amount": 7650.0, "payback": 18.8})
    text = "That is about USD 7,650 a year in additional value — a payback of roughly 18.8 months."
    found = {(f.rule, f.span) for f in failures(weak, draft(weak, expansion_frame=text))}
    assert {("value_claim.payback", "payback"), ("value_claim.incremental_value", "USD 7,650")} <= found
    assert ("value_claim.incremental_value", "18.8") in found
    strong = weak.model_copy(update={"value_case": "strong"})
    assert not [f for f in failures(strong, draft(strong, expansion_frame=text)) if f.name == "value_claim"]


def test_a_forced_offer_claims_no_need(facts: DraftFacts) -> None:
    forced = facts.model_copy(update={"chosen_by_csm": True, "initiative": None})
    found = rules_hit(forced, draft(forced, opening="I noticed your team mentioned a new need."))
    assert ("invented_need.claimed", "customer_summary.opening", "noticed your team mentioned") in found


def test_discovery_questions_are_customer_facing(facts: DraftFacts) -> None:
    leaky = facts.model_copy(update={"discovery_questions": ("Would a special offer help?",)})
    assert ("leak.wording", "discovery_questions[0]", "special offer") in rules_hit(leaky, draft(leaky))


def test_coverage_of_objections_scripts_and_empty_text(facts: DraftFacts) -> None:
    base = draft(facts)
    d = base.model_copy(
        update={
            "objection_responses": base.objection_responses[:-1],
            "conversation_scripts": [],
            "likely_objections": [" "],
        }
    )
    found = [str(f) for f in failures(facts, d)]
    assert found[0] == "coverage.empty: likely_objections[0]: empty text"
    assert found[1].startswith("coverage.keys: objection_responses: expected exactly ['not_ready'")
    assert found[2].startswith("coverage.keys: conversation_scripts: expected exactly")


def test_schema_failures_are_named() -> None:
    result = check_draft({"customer_summary": {"opening": 1}}, None)  # type: ignore[arg-type]
    assert result.draft is None and not result.ok
    names = {(f.name, f.field) for f in result.failures}
    assert ("schema", "customer_summary.opening") in names and ("schema", "recommended_approach") in names


def test_every_violation_names_field_span_and_rule(facts: DraftFacts) -> None:
    found: list[Any] = failures(facts, draft(facts, opening="A rebate of EUR 8,000, double the value."))
    assert found and all(f.field and f.span and f.rule for f in found)


FILLER = ["a", "the", "Discounted", "re-bate", "pricebreak", "%", "off", "go", "lower", "free", "seats", "\n", "  "]
FILLER += ["-", "(", "é", "_", "quarter", "only"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*Rules().drafting.lexicon, *FILLER]), max_size=12))
def test_the_one_scan_for_wording_finds_a_text_exactly_when_a_term_does(words: list[str]) -> None:
    """`any_term` lets a text with no internal wording skip the term-by-term scan; it must match exactly
    the texts some term's own pattern matches, or a leak would go unreported."""
    lexicon = Rules().drafting.lexicon
    for text in (" ".join(words), "".join(words)):
        assert bool(any_term(lexicon).search(text)) == any(term_pattern(t).search(text) for t in lexicon), text
