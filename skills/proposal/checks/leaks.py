"""No internal content in customer-facing text (SPEC §4), by number and by wording.

By number: the discount authority (as a percentage), the discounted floor price and the discount amount
(the pricing standard less or times the authority) and the health score. A figure the customer's own
trusted evidence states in the same kind (an outcome "cut by 10%") is not a leak.
By wording: the configurable lexicon (`rules.drafting`), and any risk factor's text. A verbatim quote of
the customer's own recorded words (an outcome description, a note) is exempt from the lexicon, and only
that span: "negotiated a 12% discount with their freight vendor" may be quoted, "a discount" may not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from skills.proposal.checks.figures import figures
from skills.proposal.checks.grounding import currency_codes
from skills.proposal.checks.result import CheckFailure
from skills.proposal.schema import DraftFacts

MIN_QUOTE_CHARS = 24
_CITATION = re.compile(r"^Per [\w ]+:\s*")


@lru_cache(maxsize=256)
def term_pattern(term: str) -> re.Pattern[str]:
    """Case-insensitive, whole words; a trailing * matches any ending; inner spaces match any whitespace."""
    stem = term.rstrip("*")
    body = r"\s+".join(re.escape(w) for w in stem.split())
    left = r"(?<!\w)" if stem[:1].isalnum() else ""
    right = r"\w*" if term.endswith("*") else (r"(?!\w)" if stem[-1:].isalnum() else "")
    return re.compile(left + body + right, re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def quoted_span(text: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    """Whether text[start:end] sits inside a verbatim quote (≥ MIN_QUOTE_CHARS) of one of the customer's texts."""
    low = text.lower()
    hit = low[start:end]
    for raw in words:
        w = raw.lower()
        at = w.find(hit)
        while at >= 0:
            left = 0
            while start - left - 1 >= 0 and at - left - 1 >= 0 and low[start - left - 1] == w[at - left - 1]:
                left += 1
            right = 0
            while (
                end + right < len(low)
                and at + len(hit) + right < len(w)
                and low[end + right] == w[at + len(hit) + right]
            ):
                right += 1
            if left + (end - start) + right >= min(MIN_QUOTE_CHARS, len(w)):
                return True
            at = w.find(hit, at + 1)
    return False


def _number_leaks(field: str, text: str, facts: DraftFacts) -> Iterator[CheckFailure]:
    own = facts.customer_allowed
    d, standard = Decimal(str(facts.discount_authority)), Decimal(str(facts.proposed_value))
    discount_pct = (d * 100).quantize(Decimal(1)) if d else None
    floor = (standard * (1 - d)).quantize(Decimal("0.01")) if d and standard else None
    off = (standard * d).quantize(Decimal("0.01")) if d and standard else None
    health = Decimal(str(facts.health_score)).normalize() if facts.health_score else None
    for f in figures(text, currency_codes(facts)):
        if f.value is None or own.has(f.kind, f.value, f.text, f.currency):
            continue
        value = f.value.normalize()
        if discount_pct is not None and f.kind == "percent" and value == discount_pct:
            rule, what = "leak.discount_authority", "the discount authority"
        elif (
            floor is not None
            and f.kind in ("money", "count")
            and value in (floor.normalize(), off.normalize() if off else None)
        ):
            rule, what = "leak.pricing_standard", "the pricing standard less the discount authority"
        elif health is not None and f.kind in ("count", "percent") and value == health:
            rule, what = "leak.health_score", "the health score"
        else:
            continue
        yield CheckFailure(name="internal_leak", rule=rule, field=field, span=f.text, detail=f"{f.text!r} is {what}")


@lru_cache(maxsize=64)
def any_term(lexicon: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `lexicon`'s terms, by `term_pattern`: one scan finds whether a text names one at all, so
    the usual text (naming none) is read once, not once a term."""
    return re.compile("|".join(f"(?:{term_pattern(term).pattern})" for term in lexicon) or "(?!)", re.IGNORECASE)


def _wording_leaks(field: str, text: str, facts: DraftFacts) -> Iterator[CheckFailure]:
    for term in facts.lexicon if any_term(facts.lexicon).search(text) else ():
        for m in term_pattern(term).finditer(text):
            if quoted_span(text, m.start(), m.end(), facts.customer_words):
                continue
            yield CheckFailure(
                name="internal_leak",
                rule="leak.wording",
                field=field,
                span=m.group(),
                detail=f"internal wording {m.group()!r} (lexicon term {term!r})",
            )
    low = _norm(text)
    for risk in facts.risk_factors:
        plain = _norm(_CITATION.sub("", risk))
        if len(plain) >= 12 and plain in low:
            yield CheckFailure(
                name="internal_leak", rule="leak.risk_factor", field=field, span=plain, detail=f"risk factor {plain!r}"
            )


def leaks(fields: list[tuple[str, str]], facts: DraftFacts) -> Iterator[CheckFailure]:
    for field, text in fields:
        yield from _number_leaks(field, text, facts)
        yield from _wording_leaks(field, text, facts)
