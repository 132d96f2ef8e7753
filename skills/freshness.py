"""Evidence freshness: the day of each source's newest row at `as_of`, and whether it is stale.

A signal read from a source whose newest row is older than that source's limit
(`rules.freshness.<source>`, in days) is marked stale. The score is unchanged: staleness tells the
CSM to check the feed before trusting the evidence, it does not change what the evidence says.
"""

from __future__ import annotations

from datetime import date

from skills.evidence import Result
from skills.rules import FreshnessRules
from skills.snapshot import AccountSnapshot, Source


class SourceFreshness(Result):
    source: Source
    newest_row: date | None
    stale: bool
    limit_days: int


def _newest(days: list[date], as_of: date) -> date | None:
    seen = [d for d in days if d <= as_of]
    return max(seen) if seen else None


def newest_row(snapshot: AccountSnapshot, source: Source) -> date | None:
    """Day of the newest row of `source` dated on or before `as_of`; None when there is none.

    CRM: the newest contact engagement or closed deal (account fields carry no date). Usage: the
    newest event in the signal window. Support: the newest ticket opened. Conversations: the newest
    interaction. Outcomes: the newest outcome reported.
    """
    as_of = snapshot.as_of
    if source == Source.crm:
        days = [c.last_engaged_at for c in snapshot.contacts if c.last_engaged_at is not None]
        days += [d.close_date for d in snapshot.deals if d.close_date is not None]
        return _newest(days, as_of)
    if source == Source.usage:
        return None if snapshot.usage is None else snapshot.usage.newest_event
    if source == Source.support:
        return _newest([t.opened_at for t in snapshot.tickets], as_of)
    if source == Source.conversations:
        return _newest([i.ts.date() for i in snapshot.interactions], as_of)
    if source == Source.outcomes:
        return _newest([o.ts for o in snapshot.outcomes], as_of)
    return None


def source_freshness(snapshot: AccountSnapshot, source: Source, rules: FreshnessRules) -> SourceFreshness:
    """Stale when the newest row is older than the limit. A missing source, or one with no rows at
    all, is not stale (it is unknown or empty, which the evidence already says) — except usage: a
    usage feed with no event in the whole signal window is stale."""
    limit = getattr(rules, source.value, None)
    if limit is None or snapshot.lacks(source):
        return SourceFreshness(source=source, newest_row=None, stale=False, limit_days=limit or 0)
    newest = newest_row(snapshot, source)
    if newest is None:
        stale = source == Source.usage and snapshot.usage is not None
    else:
        stale = (snapshot.as_of - newest).days > limit
    return SourceFreshness(source=source, newest_row=newest, stale=stale, limit_days=limit)


def freshness_by_source(snapshot: AccountSnapshot, rules: FreshnessRules) -> dict[Source, SourceFreshness]:
    return {source: source_freshness(snapshot, source, rules) for source in Source if source != Source.catalog}
