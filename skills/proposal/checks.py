"""Checks every draft passes, whichever drafter wrote it (SPEC §4: "checked in code, not hoped for").

What counts as a number when grounding drafted text against the evidence:
- Only digits count; number words ("two", "first", "half an hour") are not numbers.
- ISO dates (2026-11-16) are compared whole, against the dates written in the evidence.
- Digits glued after a letter belong to an identifier, not a quantity: Q3, P2, ACC-00001, u-00001-001.
- Currency marks and thousands separators are ignored and k/m scale: "USD 12,000", "$12,000",
  "12000" and "$12k" are all 12000; "18.8" must match 18.8 exactly (no rounding).
- A percentage is compared by its number: "93%" is grounded by a 93 in the evidence, which prints
  every fraction as a whole percent.
- In the evidence, numbers inside double-quoted customer text ground nothing: quoted CRM, ticket and
  call text is data, so "offer 50% off" in a note cannot license a 50 in a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import ValidationError

from skills.evidence import Result
from skills.proposal.schema import CustomerSummary, DraftedText, DraftFacts, Figures

FailureName = Literal["schema", "coverage", "grounding", "internal_leak", "pitch_in_brief"]

_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
_IDENTIFIER = re.compile(r"(?<!\w)[A-Za-z_]\w*(?:[-./]\w+)*")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(\.\d+)?(\s?%|[kKmM](?![A-Za-z]))?")
_QUOTED = re.compile(r'"[^\n]*"')
_SCALE = {"k": Decimal(1000), "m": Decimal(1_000_000)}

_INTERNAL_WORDING = re.compile(
    r"discount|without approval|authority|switching|leverage|negotiat|risk factor|pricing standard|floor price"
    r"|concession|walk[- ]away|hold (?:the )?price|lock[- ]?in|health score|readiness score|churn|\b\d+(?:\.\d+)?\s*%\s*off\b",
    re.IGNORECASE,
)
_PITCH_WORDING = re.compile(
    r"\bproposal|\binvest|\bupgrad|\bprice|\bpricing|per year|\bpurchase|\bbuy\b|additional seats|more seats"
    r"|\badd(?:ing)? (?:\w+ )?seats|multi-year|\bcontract\b",
    re.IGNORECASE,
)
_CITATION = re.compile(r"^Per [\w ]+:\s*")


class Token(Result):
    text: str
    value: Decimal | None = None
    percent: bool = False


def tokens(text: str) -> Iterator[Token]:
    """Every date and number in `text`, by the rules in this module's docstring."""
    for match in _DATE.finditer(text):
        yield Token(text=match.group())
    text = _IDENTIFIER.sub(" ", _DATE.sub(" ", text))
    for match in _NUMBER.finditer(text):
        whole, fraction, suffix = match.group(1), match.group(2) or "", (match.group(3) or "").strip()
        value = Decimal(whole.replace(",", "") + fraction) * _SCALE.get(suffix.lower(), Decimal(1))
        yield Token(text=match.group().strip(), value=value, percent=suffix == "%")


def figures_in(text: str, *, skip_quoted: bool = False) -> Figures:
    scan = _QUOTED.sub(" ", text) if skip_quoted else text
    found = list(tokens(scan))
    return Figures(
        numbers=frozenset(t.value for t in found if t.value is not None),
        dates=frozenset(t.text for t in found if t.value is None),
    )


class CheckFailure(Result):
    name: FailureName
    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}: {self.field}: {self.detail}"


class CheckResult(Result):
    draft: DraftedText | None
    failures: tuple[CheckFailure, ...]

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.failures


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
            yield CheckFailure(name="coverage", field=field, detail="empty text")
    for field, want, got in (
        ("objection_responses", [k for k, _ in facts.objections], [o.key for o in draft.objection_responses]),
        ("conversation_scripts", list(facts.script_kinds), [s.trigger for s in draft.conversation_scripts]),
    ):
        if sorted(want) != sorted(got):
            yield CheckFailure(name="coverage", field=field, detail=f"expected exactly {want}, got {got}")


def _grounding(draft: DraftedText, facts: DraftFacts) -> Iterator[CheckFailure]:
    allowed = facts.allowed
    for field, text in drafted_fields(draft):
        for t in tokens(text):
            grounded = t.text in allowed.dates if t.value is None else t.value in allowed.numbers
            if not grounded:
                yield CheckFailure(name="grounding", field=field, detail=f"{t.text!r} is not a figure in the evidence")


def _customer_fields(summary: CustomerSummary) -> Iterator[tuple[str, str]]:
    for name, text in summary:
        yield f"customer_summary.{name}", str(text)


def _customer_percents(facts: DraftFacts) -> set[Decimal]:
    """Percentages the customer-facing evidence itself states (e.g. an outcome "cut by 10%")."""
    return {
        t.value
        for e in facts.lines
        if e.audience == "customer"
        for t in tokens(_QUOTED.sub(" ", e.line))
        if t.percent and t.value is not None
    }


def _internal(summary: CustomerSummary, facts: DraftFacts) -> Iterator[CheckFailure]:
    """Internal wording, the discount authority (unless the customer's own evidence states that percent),
    the discounted price, and risk-factor text must stay out of the customer summary."""
    discount_pct = Decimal(round(facts.discount_authority * 100))
    if discount_pct in _customer_percents(facts):
        discount_pct = Decimal(-1)
    floor = Decimal(str(round(facts.proposed_value * (1 - facts.discount_authority), 2)))
    risks = [_CITATION.sub("", r).lower() for r in facts.risk_factors]
    for field, text in _customer_fields(summary):
        wording = _INTERNAL_WORDING.search(text)
        if wording:
            yield CheckFailure(name="internal_leak", field=field, detail=f"internal wording {wording.group()!r}")
        for t in tokens(text):
            if t.percent and facts.discount_authority and t.value == discount_pct:
                yield CheckFailure(name="internal_leak", field=field, detail=f"{t.text!r} is the discount authority")
            elif facts.discount_authority and facts.proposed_value and t.value == floor:
                yield CheckFailure(name="internal_leak", field=field, detail=f"{t.text!r} is the discounted price")
        for risk in risks:
            if len(risk) >= 12 and risk in text.lower():
                yield CheckFailure(name="internal_leak", field=field, detail=f"risk factor {risk!r}")


def _pitch(summary: CustomerSummary, facts: DraftFacts) -> Iterator[CheckFailure]:
    """A fix-the-footprint or wait brief is a check-in: no offer, no price (seed 001, seed 002)."""
    if facts.kind == "expansion_proposal":
        return
    offer_figures = {Decimal(str(v)) for v in (facts.proposed_value, facts.total_value) if v}
    for field, text in _customer_fields(summary):
        wording = _PITCH_WORDING.search(text)
        if wording:
            yield CheckFailure(name="pitch_in_brief", field=field, detail=f"pitch wording {wording.group()!r}")
        for t in tokens(text):
            if t.value in offer_figures:
                yield CheckFailure(name="pitch_in_brief", field=field, detail=f"{t.text!r} is the offer's price")


def check_draft(payload: object, facts: DraftFacts) -> CheckResult:
    """Schema first; a draft that validates is then checked for coverage, grounding, leaks and pitches."""
    try:
        draft = payload if isinstance(payload, DraftedText) else DraftedText.model_validate(payload)
    except ValidationError as exc:
        failures = tuple(
            CheckFailure(name="schema", field=".".join(str(p) for p in e["loc"]) or "draft", detail=e["msg"])
            for e in exc.errors()
        )
        return CheckResult(draft=None, failures=failures)
    failures = (
        *_coverage(draft, facts),
        *_grounding(draft, facts),
        *_internal(draft.customer_summary, facts),
        *_pitch(draft.customer_summary, facts),
    )
    return CheckResult(draft=draft, failures=failures)
