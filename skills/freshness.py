"""Evidence freshness: the day of each source's newest row at `as_of`, and whether it is stale.

A signal read from a source whose newest row is older than that source's limit
(`rules.freshness.<source>`, in days) is marked stale. The score is unchanged: staleness tells the
CSM to check the feed before trusting the evidence, it does not change what the evidence says.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import chain

from skills.rules import FreshnessRules
from skills.snapshot import AccountSnapshot, Source


def _newest(days: Iterable[date], as_of: date) -> date | None:
    return max((d for d in days if d <= as_of), default=None)


def newest_row(snapshot: AccountSnapshot, source: Source) -> date | None:
    """Day of the newest row of `source` dated on or before `as_of`; None when there is none.

    CRM: the newest contact engagement or closed deal (account fields carry no date). Usage: the
    newest event in the signal window. Support: the newest ticket opened. Conversations: the newest
    interaction. Outcomes: the newest outcome reported.
    """
    as_of = snapshot.as_of
    if source == Source.crm:
        engaged = (c.last_engaged_at for c in snapshot.contacts if c.last_engaged_at is not None)
        closed = (d.close_date for d in snapshot.deals if d.close_date is not None)
        return _newest(chain(engaged, closed), as_of)
    if source == Source.usage:
        return None if snapshot.usage is None else snapshot.usage.newest_event
    if source == Source.support:
        return _newest((t.opened_at for t in snapshot.tickets), as_of)
    if source == Source.conversations:
        return _newest((i.ts.date() for i in snapshot.interactions), as_of)
    if source == Source.outcomes:
        return _newest((o.ts for o in snapshot.outcomes), as_of)
    return None


def is_stale(snapshot: AccountSnapshot, source: Source, newest: date | None, limit: int) -> bool:
    """Stale when the newest row is older than the limit. A missing source, or one with no rows at
    all, is not stale (it is unknown or empty, which the evidence already says) — except usage: a
    usage feed with no event in the whole signal window is stale."""
    if snapshot.lacks(source):
        return False
    if newest is None:
        return source == Source.usage and snapshot.usage is not None
    return (snapshot.as_of - newest).days > limit


def freshness_marks(
    snapshot: AccountSnapshot, sources: Iterable[Source], rules: FreshnessRules
) -> dict[Source, tuple[date | None, bool]]:
    """(newest row, stale) for each of `sources`, against `rules.<source>` days (no limit: never stale)."""
    marks: dict[Source, tuple[date | None, bool]] = {}
    for source in set(sources):
        limit = int(getattr(rules, source.value, 0))
        newest = None if snapshot.lacks(source) else newest_row(snapshot, source)
        marks[source] = (newest, bool(limit) and is_stale(snapshot, source, newest, limit))
    return marks
