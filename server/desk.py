"""The application core every front end shares (CLI, MCP server, eval harness, chat).

It holds a data source and the rules, and answers: snapshot, assess, rank, find.
"""

from __future__ import annotations

import difflib
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from connectors.errors import DataError, DataIssue
from connectors.source import Progress, SnapshotSource
from connectors.workspace import Workspace, demo_workspace_path
from server.settings import Settings
from skills.assessment import AccountAssessment, assess, peer_metrics
from skills.book.data import BookData
from skills.book.peers import book_peers
from skills.book.ranked import ScoredBook
from skills.playbook.readiness_score import ReadinessTier
from skills.proposal.benchmarks import SegmentPeers, segment_peers
from skills.rules import Rules
from skills.snapshot import Account, AccountSnapshot

TIERS: tuple[ReadinessTier, ...] = ("priority", "ready", "candidate", "not_yet")


def parse_as_of(value: str | date | None, default: date) -> date:
    """A YYYY-MM-DD day; a clear error otherwise."""
    if value is None or value == "":
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"as_of {value!r} is not a date in YYYY-MM-DD form") from exc


def open_workspace(settings: Settings) -> Workspace:
    path = settings.workspace or demo_workspace_path()
    if not path.is_dir():
        raise DataError([DataIssue(file=str(path), message="workspace folder not found")])
    return Workspace(Path(path), settings.rules)


def uses_workspace(settings: Settings) -> bool:
    return "workspace" in settings.connectors.sources.by_source()


def open_source(settings: Settings) -> SnapshotSource:
    """The workspace alone, or a composite of the configured CRM, support, usage and workspace sources."""
    workspace = open_workspace(settings) if uses_workspace(settings) else None
    if workspace is not None and set(settings.connectors.sources.by_source()) == {"workspace"}:
        return workspace
    from connectors.composite import CompositeSource  # CRM and warehouse clients: imported only when configured

    return CompositeSource(settings.connectors, settings.rules, workspace)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Ranking a book allocates ~40 small immutable models per account and frees almost none, so
    cyclic-GC passes over the growing heap cost as much as the work itself (half the time at 10,000
    accounts). The objects hold no reference cycles; refcounting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Desk:
    """Books are scored once per (day, workspace fingerprint) and kept: a warm `rank` only sorts and
    assesses the rows it returns. A workspace whose files change (size or modification time) is
    reloaded on the next call. Sources without a fingerprint (CRM APIs, a warehouse) are read afresh
    for each rank (their connectors cache per account themselves); their segment peers are kept per
    day, as before."""

    def __init__(
        self, settings: Settings, source: SnapshotSource | None = None, today: Callable[[], date] = date.today
    ) -> None:
        self.settings = settings
        self._owns_source = source is None
        if source is None:
            with gc_paused():  # loading builds ~20 records per account, the same allocation pattern
                source = open_source(settings)
        self.source = source
        self.rules: Rules = settings.rules.with_catalog(self.source.catalog)
        self._today = today
        self._lock = threading.RLock()
        self._fingerprint = self._source_fingerprint()
        self._books: dict[date, ScoredBook] = {}
        self._peers: dict[date, SegmentPeers] = {}

    def _source_fingerprint(self) -> object | None:
        fingerprint = getattr(self.source, "fingerprint", None)
        return fingerprint() if callable(fingerprint) else None

    def _refresh(self) -> None:
        """Drop cached books when the workspace files changed, reloading the workspace the desk opened."""
        if self._fingerprint is None:
            return
        current = self._source_fingerprint()
        if current == self._fingerprint:
            return
        if self._owns_source:
            close = getattr(self.source, "close", None)
            with gc_paused():
                self.source = open_source(self.settings)
            if callable(close):
                close()
            self.rules = self.settings.rules.with_catalog(self.source.catalog)
        self._fingerprint = self._source_fingerprint()
        self._books.clear()
        self._peers.clear()

    def as_of(self, value: str | date | None = None) -> date:
        """Explicit day, else the workspace's export day (replays stay reproducible), else today."""
        return parse_as_of(value, self.source.default_as_of or self._today())

    def find(self, query: str, limit: int = 5) -> list[Account]:
        return self.source.find_accounts(query, limit)

    def snapshot(self, account_id: str, as_of: str | date | None = None) -> AccountSnapshot:
        """From the cached book of that day when there is one (no query), else read for this account."""
        day = self.as_of(as_of)
        with self._lock:
            self._refresh()
            book = self._books.get(day)
        if book is not None:
            index = book.index_of(account_id)
            if index is not None:
                return book.data.snapshot(book.data.accounts[index])
        return self.source.snapshot(account_id, day)

    def book(self, day: date) -> ScoredBook:
        """The scored book at `day`: usage aggregated once, every decision computed as columns."""
        with self._lock:
            self._refresh()
            cached = self._books.get(day)
            if cached is not None:
                return cached
            with gc_paused():
                read_book = getattr(self.source, "book", None)
                data = (
                    read_book(day) if callable(read_book) else BookData.from_snapshots(day, self.source.snapshots(day))
                )
                scored = ScoredBook.of(data, self.rules)
            if self._fingerprint is not None:  # other sources (CRM APIs, a warehouse) are read afresh
                self._books[day] = scored
            self._peers[day] = scored.peers
            return scored

    def peers(self, day: date, snapshots: list[AccountSnapshot] | None = None) -> SegmentPeers:
        """Segment distributions for benchmarks. From a scored book when there is one; else from the
        activity aggregate alone where the source offers it, so one account's score does not
        aggregate the whole book's usage."""
        with self._lock:
            self._refresh()
            if day in self._peers:
                return self._peers[day]
            if snapshots is not None:
                peers = segment_peers(peer_metrics(s, self.rules) for s in snapshots)
            else:
                activity = getattr(self.source, "activity", None)
                if callable(activity):
                    figures = activity(day)
                    peers = book_peers(
                        self.source.accounts(), lambda i: None if figures is None else figures.get(i, (0, 0, 0))
                    )
                else:
                    peers = self.book(day).peers
            self._peers[day] = peers
            return peers

    def assess(self, account_id: str, as_of: str | date | None = None) -> AccountAssessment:
        snapshot = self.snapshot(account_id, as_of)
        return assess(snapshot, self.peers(snapshot.as_of), self.rules)

    def csm(self, name: str) -> str:
        """The CSM a user means: the full name in any case, or a first name only one CSM has.

        ValueError naming the CSMs of the book (closest first) when nobody matches.
        """
        owners = sorted({a.csm_owner for a in self.source.accounts()})
        wanted = name.strip().lower()
        exact = [o for o in owners if o.lower() == wanted]
        if exact:
            return exact[0]
        by_first = [o for o in owners if o.split(" ")[0].lower() == wanted]
        if len(by_first) == 1:
            return by_first[0]
        if by_first:
            raise ValueError(f"CSM {name!r} is ambiguous: {', '.join(by_first)}; give the full name")
        firsts = {o.split(" ")[0].lower(): o for o in owners}
        close = difflib.get_close_matches(name, owners, n=3, cutoff=0.5) or [
            firsts[f] for f in difflib.get_close_matches(wanted, list(firsts), n=3, cutoff=0.5)
        ]
        hint = f" Closest: {', '.join(close)}." if close else ""
        raise ValueError(f"no CSM named {name!r} in this book.{hint} CSMs: {', '.join(owners)}")

    def ranked(
        self,
        as_of: str | date | None = None,
        segment: str | None = None,
        csm_owner: str | None = None,
        tier: ReadinessTier | None = None,
        limit: int | None = None,
    ) -> tuple[int, Iterator[AccountAssessment]]:
        """How many accounts pass the filters, and their full assessments best first (score, then
        proposed value, then id), produced one at a time so a caller can write each as it comes."""
        book = self.book(self.as_of(as_of))
        chosen = book.scores.ranked(segment, csm_owner, tier)
        picked = chosen[:limit] if limit else chosen

        def produce() -> Iterator[AccountAssessment]:
            with gc_paused():
                yield from book.assessments(picked)

        return len(chosen), produce()

    def rank(
        self,
        as_of: str | date | None = None,
        segment: str | None = None,
        csm_owner: str | None = None,
        tier: ReadinessTier | None = None,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> list[AccountAssessment]:
        """The Expansion-Ready Account List: best first (score, then proposed value, then id)."""
        total, rows = self.ranked(as_of, segment, csm_owner, tier, limit)
        out = []
        for done, assessment in enumerate(rows, start=1):
            out.append(assessment)
            if progress:
                progress(done, min(total, limit or total))
        return out
