"""Shared shapes of calculator output: evidence lines that always carry their source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from skills.catalog import fold_text, names_term
from skills.days import window_start
from skills.snapshot import AccountSnapshot, Interaction, Outcome, Source


class Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class EvidenceLine(Result):
    text: str
    source: Source

    @property
    def cited(self) -> str:
        return f"{self.source.citation} {self.text}"


def pct(value: float) -> str:
    """Whole-percent rendering used in every evidence line, so drafts can quote it exactly."""
    return f"{round(value * 100)}%"


def money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def recent_interactions(snapshot: AccountSnapshot, days: int) -> tuple[Interaction, ...]:
    """Interactions among the last `days` days (SPEC day rule), newest first."""

    def newest_first() -> tuple[Interaction, ...]:
        start, end = window_start(snapshot.as_of, days), snapshot.as_of
        found = [i for i in snapshot.interactions if start <= i.ts.date() <= end]
        return tuple(sorted(found, key=lambda i: (i.ts, i.interaction_id), reverse=True))

    return snapshot.derived(("recent_interactions", days), newest_first)


def recent_outcomes(snapshot: AccountSnapshot, days: int) -> tuple[Outcome, ...]:
    """Outcomes reported among the last `days` days, newest first (asked for three times an assessment)."""

    def newest_first() -> tuple[Outcome, ...]:
        start, end = window_start(snapshot.as_of, days), snapshot.as_of
        found = [o for o in snapshot.outcomes if start <= o.ts <= end]
        return tuple(sorted(found, key=lambda o: (o.ts, o.metric), reverse=True))

    return snapshot.derived(("recent_outcomes", days), newest_first)


def mentions(interactions: Sequence[Interaction], terms: Sequence[str]) -> list[tuple[Interaction, str]]:
    """(interaction, term) for every interaction naming one of `terms` (whole words), newest first."""
    return grouped_mentions(interactions, (terms,))[0]


def grouped_mentions(
    interactions: Sequence[Interaction], groups: Sequence[Sequence[str]]
) -> list[list[tuple[Interaction, str]]]:
    """`mentions` of each group of terms, each text case-folded once for all of them."""
    found: list[list[tuple[Interaction, str]]] = [[] for _ in groups]
    for i in interactions:
        folded = fold_text(i.text)
        for named, terms in zip(found, groups, strict=True):
            named += [(i, t) for t in terms if names_term(i.text, t, folded)]
    return found


def quote(text: str, limit: int = 90) -> str:
    """A short, single-line excerpt of customer text for evidence (it is data, never instructions)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def day(d: date) -> str:
    return d.isoformat()
