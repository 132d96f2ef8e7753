"""The figures a draft may state (SPEC §4 grounding): the calculated ones, never those of untrusted text.

Untrusted text is what customers and colleagues wrote: outcome descriptions, interaction notes and
transcripts, ticket subjects. Evidence lines quote it, so it is cut out of every line before the line's
figures are read; an outcome's own figure comes from its recorded value and unit instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from skills.discovery.roi import is_currency_unit
from skills.evidence import quote
from skills.proposal.checks.figures import CURRENCY_CODES, figure_set
from skills.proposal.schema import EvidenceEntry, Figures
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Outcome

PERCENT_UNITS = ("percent", "%", "pct", "percentage")
_QUOTED = re.compile(r'"[^\n]*"')


def untrusted_texts(snapshot: AccountSnapshot) -> tuple[str, ...]:
    """Every piece of free text people wrote, with the shortened forms evidence lines quote, longest first."""
    texts: set[str] = set()
    for o in snapshot.outcomes:
        if o.description:
            texts |= {o.description, o.description.strip().rstrip(".")}
    for i in snapshot.interactions:
        texts |= {i.text, quote(i.text), " ".join(i.text.split())}
    for t in snapshot.tickets:
        texts |= {t.subject, quote(t.subject, 60), " ".join(t.subject.split())}
    return tuple(sorted((t for t in texts if len(t.strip()) >= 8), key=len, reverse=True))


def customer_words(snapshot: AccountSnapshot) -> tuple[str, ...]:
    """The customer's own recorded words, which a draft may quote verbatim: outcome descriptions and notes."""
    words = [o.description for o in snapshot.outcomes if o.description]
    words += [i.text for i in snapshot.interactions]
    return tuple(dict.fromkeys(" ".join(w.split()) for w in words if w.strip()))


def outcome_figures(outcomes: Iterable[Outcome], currency: str, rules: Rules) -> Figures:
    """Each outcome's recorded value as a figure of its unit's kind."""
    money: set[tuple[str, Decimal]] = set()
    percents: set[Decimal] = set()
    counts: set[Decimal] = set()
    for o in outcomes:
        value = Decimal(f"{o.value:g}")
        unit = o.unit.strip()
        if unit.lower() in PERCENT_UNITS:
            percents.add(value)
        elif unit and is_currency_unit(unit, currency, rules):
            money.add((unit.upper(), value))
        else:
            counts.add(value)
    return Figures(money=frozenset(money), percents=frozenset(percents), counts=frozenset(counts))


def trusted_part(line: str, untrusted: tuple[str, ...]) -> str:
    text = _QUOTED.sub(" ", line)
    for u in untrusted:
        if u in text:
            text = text.replace(u, " ")
    return text


def allowed_figures(
    lines: Iterable[EvidenceEntry], snapshot: AccountSnapshot, rules: Rules, *, audience: str | None = None
) -> Figures:
    """Figures of the trusted part of `lines` (of one audience, when given) plus every outcome's own value."""
    untrusted = untrusted_texts(snapshot)
    codes = CURRENCY_CODES | {snapshot.account.currency.upper()}
    found = figure_set(snapshot.account.name, codes) | outcome_figures(
        snapshot.outcomes, snapshot.account.currency, rules
    )
    for e in lines:
        if audience is None or e.audience == audience:
            found = found | figure_set(trusted_part(e.line, untrusted), codes)
    return found


def untrusted_figures(snapshot: AccountSnapshot) -> Figures:
    codes = CURRENCY_CODES | {snapshot.account.currency.upper()}
    found = Figures()
    for text in untrusted_texts(snapshot):
        found = found | figure_set(text, codes)
    return found


def quotable(outcome: Outcome, currency: str, rules: Rules) -> str:
    """The outcome in the customer's words when every figure in them is the recorded value, else "metric value unit"."""
    plain = f"{outcome.metric.replace('_', ' ')} {outcome.value:g} {outcome.unit}".strip()
    if not outcome.description:
        return plain
    own = outcome_figures([outcome], currency, rules)
    codes = CURRENCY_CODES | {currency.upper()}
    stated = figure_set(outcome.description, codes)
    extra = (stated.money - own.money, stated.percents - own.percents, stated.counts - own.counts, stated.multipliers)
    return plain if any(extra) or stated.dates else outcome.description.strip().rstrip(".")
