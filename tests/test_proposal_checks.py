"""The draft checks, rule by rule: number normalisation, grounding, internal leaks, pitches, coverage, schema."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from server.drafting.template import template_draft
from skills.proposal.checks import check_draft, figures_in, tokens
from skills.proposal.schema import DraftedText, DraftFacts
from tests.factory import account, interaction, outcome, snapshot, usage
from tests.test_proposal import assembled


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("USD 12,000 per year", [12000]),
        ("$12,000 or $12k or 12000", [12000, 12000, 12000]),
        ("1.5m users", [1500000]),
        ("93% of seats, 93 % of seats", [93, 93]),
        ("payback of 18.8 months", [Decimal("18.8")]),
        ("a 12-month term", [12]),
        ("3x faster", [3]),
        ("two teams, the first result, half an hour", []),
        ("Q3, P2 ticket TKT-00101-02, ACC-00001, u-00001-001, claude-sonnet-4-5", []),
        ("from 1212 to 1816 people; 1, 2 and 3", [1212, 1816, 1, 2, 3]),
    ],
)
def test_number_normalisation(text: str, values: list[Any]) -> None:
    assert [t.value for t in tokens(text) if t.value is not None] == [Decimal(v) for v in values]


def test_percent_and_dates() -> None:
    found = list(tokens("93% since 2026-11-16."))
    assert [(t.text, t.percent) for t in found] == [("2026-11-16", False), ("93%", True)]
    assert figures_in("renewal on 2027-02-26, 95 days away").dates == {"2027-02-26"}


def test_quoted_customer_text_grounds_nothing() -> None:
    line = 'Per conversations: mentioned dashboards on 2026-11-01: "offer 50% off and 3 free seats"'
    assert figures_in(line, skip_quoted=True).numbers == set()
    assert figures_in(line).numbers == {50, 3}


@pytest.fixture
def facts() -> DraftFacts:
    snap = snapshot(
        account(products=()),
        use=usage(45),
        outcomes=(outcome(10, description="Approval cycle time cut by 10% in Q3"),),
        interactions=(interaction(5, "Weekly check-in"), interaction(9, "We need dashboards", iid="x")),
    )
    return assembled(snap).facts


def draft(facts: DraftFacts, **summary: str) -> DraftedText:
    base = template_draft(facts)
    return base.model_copy(update={"customer_summary": base.customer_summary.model_copy(update=summary)})


def failures(facts: DraftFacts, d: DraftedText) -> list[str]:
    return [str(f) for f in check_draft(d, facts).failures]


def test_the_template_draft_passes(facts: DraftFacts) -> None:
    assert facts.kind == "expansion_proposal" and check_draft(draft(facts), facts).ok


def test_grounding_names_field_and_figure(facts: DraftFacts) -> None:
    assert failures(facts, draft(facts, opening="You save 999 hours, since 2025-01-01.")) == [
        "grounding: customer_summary.opening: '2025-01-01' is not a figure in the evidence",
        "grounding: customer_summary.opening: '999' is not a figure in the evidence",
    ]
    assert failures(facts, draft(facts, opening=f"Price: {facts.price}; 90% in use.")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We can discount this for you.", "internal wording 'discount'"),
        ("I can do it without approval.", "internal wording 'without approval'"),
        ("Your switching cost is high.", "internal wording 'switching'"),
        ("We have leverage here.", "internal wording 'leverage'"),
        ("Happy to negotiate.", "internal wording 'negotiat'"),
        ("Take 90% off today.", "internal wording '90% off'"),
        ("Your health score is fine.", "internal wording 'health score'"),
    ],
)
def test_internal_wording_never_reaches_the_customer(facts: DraftFacts, text: str, expected: str) -> None:
    assert f"internal_leak: customer_summary.forward_look: {expected}" in failures(
        facts, draft(facts, forward_look=text)
    )


def test_internal_wording_is_fine_in_internal_fields(facts: DraftFacts) -> None:
    d = draft(facts).model_copy(update={"recommended_approach": "Do not discount proactively; negotiate later."})
    assert failures(facts, d) == []


def test_discount_authority_percent_and_discounted_price(facts: DraftFacts) -> None:
    with_authority = facts.model_copy(update={"discount_authority": 0.2, "proposed_value": 9000.0})
    d = draft(with_authority, expansion_frame="Think of it as 20% less: 7,200 instead.")
    assert failures(with_authority, d) == [
        "grounding: customer_summary.expansion_frame: '20%' is not a figure in the evidence",
        "grounding: customer_summary.expansion_frame: '7,200' is not a figure in the evidence",
        "internal_leak: customer_summary.expansion_frame: '20%' is the discount authority",
        "internal_leak: customer_summary.expansion_frame: '7,200' is the discounted price",
    ]


def test_a_customer_outcome_with_the_same_percent_is_not_a_leak(facts: DraftFacts) -> None:
    assert facts.discount_authority == 0.10  # seat growth; the customer's own outcome says "cut by 10%"
    assert failures(facts, draft(facts, value_frame="Approval cycle time cut by 10% in Q3.")) == []


def test_risk_factor_text_is_a_leak(facts: DraftFacts) -> None:
    risky = facts.model_copy(update={"risk_factors": ("Per CRM: the CFO is sceptical of the renewal",)})
    found = failures(risky, draft(risky, opening="I know the CFO is sceptical of the renewal."))
    assert found == ["internal_leak: customer_summary.opening: risk factor 'the cfo is sceptical of the renewal'"]


def test_coverage_of_objections_scripts_and_empty_text(facts: DraftFacts) -> None:
    base = draft(facts)
    d = base.model_copy(
        update={
            "objection_responses": base.objection_responses[:-1],
            "conversation_scripts": [],
            "likely_objections": [" "],
        }
    )
    found = failures(facts, d)
    assert found[0] == "coverage: likely_objections[0]: empty text"
    assert found[1].startswith("coverage: objection_responses: expected exactly ['not_ready'")
    assert found[2].startswith("coverage: conversation_scripts: expected exactly")


def test_schema_failures_are_named() -> None:
    result = check_draft({"customer_summary": {"opening": 1}}, None)  # type: ignore[arg-type]
    assert result.draft is None and not result.ok
    names = {(f.name, f.field) for f in result.failures}
    assert ("schema", "customer_summary.opening") in names and ("schema", "recommended_approach") in names
