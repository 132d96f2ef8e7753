"""Checks every draft passes, whichever drafter wrote it (SPEC §4: "checked in code, not hoped for").

Customer-facing text is everything a CSM would say or send: the customer summary, the conversation
scripts, the objection responses and the discovery questions. Rules, each a `rule` id on the violation:
- coverage.empty, coverage.keys — every field written; exactly the scripts and objections asked for;
- grounding.money / .currency / .percent / .count / .multiplier / .date (checks/grounding.py, over all
  drafted text) — every figure equals a calculated figure of the same kind (figures: checks/figures.py);
- leak.discount_authority / .pricing_standard / .health_score / .wording / .risk_factor (checks/leaks.py,
  customer-facing text) — no internal content by number or wording (the lexicon lives in the settings);
- value_claim.payback / .incremental_value — a weak or unknown value case states neither to the customer;
- invented_need.claimed — an offer the CSM chose claims no need the evidence does not show;
- pitch.wording / pitch.price — a fix-the-footprint or wait brief is a check-in: no offer, no price.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from pydantic import ValidationError

from skills.proposal.checks.figures import figures
from skills.proposal.checks.grounding import currency_codes, grounding
from skills.proposal.checks.leaks import leaks
from skills.proposal.checks.result import CheckFailure, CheckResult, FailureName
from skills.proposal.schema import DraftedText, DraftFacts

__all__ = ["CheckFailure", "CheckResult", "FailureName", "check_draft", "customer_fields", "drafted_fields"]

_PITCH_WORDING = re.compile(
    r"\bproposal|\binvest|\bupgrad|\bprice|\bpricing|per year|\bpurchase|\bbuy\b|additional seats|more seats"
    r"|\badd(?:ing)? (?:\w+ )?seats|multi-year|\bcontract\b",
    re.IGNORECASE,
)
_PAYBACK_WORDING = re.compile(
    r"\bpay\s?back|pays? for itself|\breturn on (?:the |your )?investment|\bROI\b|\bbreak[- ]even", re.IGNORECASE
)
_CLAIMED_NEED = re.compile(
    r"\byou(?:r team)? (?:mentioned|asked|told|raised|said|requested|flagged)|you(?:'ve| have) been asking"
    r"|\bnoticed (?:your team|you) (?:mentioned|asked|need)|\bthe need your team raised|\bas you said",
    re.IGNORECASE,
)


def customer_fields(draft: DraftedText, facts: DraftFacts) -> list[tuple[str, str]]:
    """(field path, text) for everything a CSM would say or send to the customer."""
    out = [(f"customer_summary.{name}", str(text)) for name, text in draft.customer_summary]
    out += [(f"conversation_scripts[{i}].script", s.script) for i, s in enumerate(draft.conversation_scripts)]
    out += [(f"objection_responses[{i}].response", o.response) for i, o in enumerate(draft.objection_responses)]
    out += [(f"discovery_questions[{i}]", q) for i, q in enumerate(facts.discovery_questions)]
    return out


def drafted_fields(draft: DraftedText) -> Iterator[tuple[str, str]]:
    """(field path, text) for every string a drafter wrote."""
    for name, text in draft.customer_summary:
        yield f"customer_summary.{name}", str(text)
    yield "recommended_approach", draft.recommended_approach
    for i, item in enumerate(draft.likely_objections):
        yield f"likely_objections[{i}]", item
    for i, o in enumerate(draft.objection_responses):
        yield f"objection_responses[{i}].objection", o.objection
        yield f"objection_responses[{i}].response", o.response
    for i, s in enumerate(draft.conversation_scripts):
        yield f"conversation_scripts[{i}].script", s.script


def _coverage(draft: DraftedText, facts: DraftFacts) -> Iterator[CheckFailure]:
    for field, text in drafted_fields(draft):
        if not text.strip():
            yield CheckFailure(name="coverage", rule="coverage.empty", field=field, detail="empty text")
    for field, want, got in (
        ("objection_responses", [k for k, _ in facts.objections], [o.key for o in draft.objection_responses]),
        ("conversation_scripts", list(facts.script_kinds), [s.trigger for s in draft.conversation_scripts]),
    ):
        if sorted(want) != sorted(got):
            yield CheckFailure(
                name="coverage", rule="coverage.keys", field=field, detail=f"expected exactly {want}, got {got}"
            )


def _value_claims(fields: list[tuple[str, str]], facts: DraftFacts) -> Iterator[CheckFailure]:
    """SPEC §3 value case: payback and incremental value reach the customer only for a strong case."""
    if facts.value_case == "strong":
        return
    amount = Decimal(str(facts.incremental_amount)) if facts.incremental_amount else None
    months = Decimal(str(facts.payback)) if facts.payback is not None else None
    for field, text in fields:
        for m in _PAYBACK_WORDING.finditer(text):
            yield CheckFailure(
                name="value_claim",
                rule="value_claim.payback",
                field=field,
                span=m.group(),
                detail=f"{m.group()!r} states payback, but the value case is {facts.value_case}",
            )
        for f in figures(text, currency_codes(facts)):
            in_months = text[f.end : f.end + 7].strip().lower().startswith("month")
            hit = (f.kind == "money" and amount is not None and f.value == amount) or (
                f.kind == "count" and months is not None and f.value == months and in_months
            )
            if hit:
                yield CheckFailure(
                    name="value_claim",
                    rule="value_claim.incremental_value",
                    field=field,
                    span=f.text,
                    detail=f"{f.text!r} is the expected incremental value or payback of a {facts.value_case} value case",
                )


def _invented_need(fields: list[tuple[str, str]], facts: DraftFacts) -> Iterator[CheckFailure]:
    """SPEC §4: a CSM-forced offer claims no customer need the evidence does not show."""
    if not facts.chosen_by_csm or facts.initiative is not None:
        return
    for field, text in fields:
        for m in _CLAIMED_NEED.finditer(text):
            yield CheckFailure(
                name="invented_need",
                rule="invented_need.claimed",
                field=field,
                span=m.group(),
                detail=f"{m.group()!r} claims a need no evidence shows: the CSM chose this offer",
            )


def _pitch(fields: list[tuple[str, str]], facts: DraftFacts) -> Iterator[CheckFailure]:
    """A fix-the-footprint or wait brief is a check-in: no offer, no price (seed 001, seed 002)."""
    if facts.kind == "expansion_proposal":
        return
    offer_figures = {Decimal(str(v)) for v in (facts.proposed_value, facts.total_value) if v}
    for field, text in fields:
        if not field.startswith("customer_summary."):
            continue
        for m in _PITCH_WORDING.finditer(text):
            yield CheckFailure(
                name="pitch_in_brief",
                rule="pitch.wording",
                field=field,
                span=m.group(),
                detail=f"pitch wording {m.group()!r}",
            )
        for f in figures(text, currency_codes(facts)):
            if f.value in offer_figures:
                yield CheckFailure(
                    name="pitch_in_brief",
                    rule="pitch.price",
                    field=field,
                    span=f.text,
                    detail=f"{f.text!r} is the offer's price",
                )


def check_draft(payload: object, facts: DraftFacts) -> CheckResult:
    """Schema first; a draft that validates is then checked by every rule in this module's docstring."""
    try:
        draft = payload if isinstance(payload, DraftedText) else DraftedText.model_validate(payload)
    except ValidationError as exc:
        failures = tuple(
            CheckFailure(
                name="schema",
                rule="schema",
                field=".".join(str(p) for p in e["loc"]) or "draft",
                detail=e["msg"],
            )
            for e in exc.errors()
        )
        return CheckResult(draft=None, failures=failures)
    customer = customer_fields(draft, facts)
    everything = [*drafted_fields(draft), *((f, t) for f, t in customer if f.startswith("discovery_questions"))]
    failures = (
        *_coverage(draft, facts),
        *grounding(everything, facts),
        *leaks(customer, facts),
        *_value_claims(customer, facts),
        *_invented_need(customer, facts),
        *_pitch(customer, facts),
    )
    return CheckResult(draft=draft, failures=failures)
