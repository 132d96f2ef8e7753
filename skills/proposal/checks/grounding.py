"""Grounding (SPEC §4): every figure in drafted text equals a calculated figure of the same kind.

Money in a currency matches a money figure in that currency (a wrong currency fails), a percentage a
percentage, a count a count (a seat count reused as "40%" fails), a multiplier a multiplier, a date a date.
The allowed figures come from the trusted evidence only: figures that occur only in untrusted text (notes,
ticket subjects, outcome descriptions, transcripts) ground nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from skills.proposal.checks.figures import CURRENCY_CODES, Figure, figures
from skills.proposal.checks.result import CheckFailure
from skills.proposal.schema import DraftFacts

KIND_WORDS = {"money": "amount", "percent": "percentage", "count": "count", "multiplier": "multiplier", "date": "date"}


def currency_codes(facts: DraftFacts) -> frozenset[str]:
    return CURRENCY_CODES | {facts.currency.upper()}


def _why(f: Figure, facts: DraftFacts) -> tuple[str, str]:
    """(rule, detail) for a figure that is not grounded."""
    allowed = facts.allowed
    if f.kind == "money" and (f.currency or "") != facts.currency.upper():
        rule = "grounding.currency"
        detail = f"{f.text!r} is in {f.currency}, the account's currency is {facts.currency}"
    elif f.kind == "date":
        rule, detail = "grounding.date", f"{f.text!r} is not a date in the evidence"
    else:
        rule = f"grounding.{f.kind}"
        detail = f"{f.text!r} is not a calculated {KIND_WORDS[f.kind]}"
        if f.value is not None and (other := allowed.kinds_of(f.value)):
            detail += f" ({f.value:f} is a {' and a '.join(other)} in the evidence, not a {KIND_WORDS[f.kind]})"
    if facts.untrusted.has(f.kind, f.value, f.text, f.currency) or (
        f.value is not None and facts.untrusted.kinds_of(f.value)
    ):
        detail += "; it appears only in untrusted customer text, which grounds nothing"
    return rule, detail


def grounding(fields: list[tuple[str, str]], facts: DraftFacts) -> Iterator[CheckFailure]:
    codes = currency_codes(facts)
    for field, text in fields:
        for f in figures(text, codes):
            if not facts.allowed.has(f.kind, f.value, f.text, f.currency):
                rule, detail = _why(f, facts)
                yield CheckFailure(name="grounding", rule=rule, field=field, span=f.text, detail=detail)
