"""The application core every front end shares (CLI, MCP server, eval harness, chat).

It holds a data source and the rules, and answers: snapshot, assess, rank, find.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from connectors.composite import CompositeSource
from connectors.errors import DataError, DataIssue
from connectors.source import Progress, SnapshotSource
from connectors.workspace import Workspace, demo_workspace_path
from server.drafting.extraction import SignalExtraction, extraction_from_settings
from server.settings import Settings
from skills.assessment import AccountAssessment, assess, peer_metrics, rank_order
from skills.playbook.readiness_score import ReadinessTier
from skills.proposal.benchmarks import SegmentPeers, segment_peers
from skills.rules import Rules
from skills.snapshot import EARLIEST_DAY, Account, AccountSnapshot

TIERS: tuple[ReadinessTier, ...] = ("priority", "ready", "candidate", "not_yet")


AS_OF_HORIZON = timedelta(days=366)
"""How far past today an as_of may lie (a renewal plan a year out); further is a typo."""


def parse_as_of(value: str | date | None, default: date) -> date:
    """A YYYY-MM-DD day; a clear error otherwise."""
    if value is None or value == "":
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"as_of {value!r} is not a date in YYYY-MM-DD form") from exc


def check_as_of(day: date, first: date | None, export: date | None, today: date) -> date:
    """The day asked must lie where the data say something: not before the book's first day (the
    earliest contract start), not after the export day the workspace's manifest names, and never
    more than a year past today. Outside that, a score would be a guess, so it is refused."""
    latest = min(export, today + AS_OF_HORIZON) if export else today + AS_OF_HORIZON
    if first is not None and day < first:
        raise ValueError(
            f"as_of {day} is before the data begin ({first}, the earliest contract_start): "
            f"pick a day from {first} to {latest}"
        )
    if day < EARLIEST_DAY:
        raise ValueError(f"as_of {day} is before {EARLIEST_DAY}: pick a day up to {latest}")
    if day > latest:
        why = f"the export day in manifest.json ({export})" if export == latest else f"a year past today ({today})"
        raise ValueError(f"as_of {day} is after {why}: the data do not cover it; pick a day up to {latest}")
    return day


def workspace_path(settings: Settings) -> Path | None:
    """The workspace folder to read: the one named, else the bundled demo — but the demo only when
    nothing at all is configured, so demo data never mixes into a real setup."""
    if settings.workspace is not None:
        return Path(settings.workspace)
    if set(settings.connectors.sources.by_source()) == {"workspace"}:
        return demo_workspace_path()
    return None


def open_workspace(settings: Settings) -> Workspace | None:
    path = workspace_path(settings)
    if path is None:
        return None
    if not path.is_dir():
        raise DataError([DataIssue(file=str(path), message="workspace folder not found")])
    enrichment = settings.connectors.enrichment
    return Workspace(path, settings.rules, enrichment.provider if enrichment.source == "workspace" else None)


def uses_workspace(settings: Settings) -> bool:
    return "workspace" in settings.connectors.sources.by_source()


def unsourced_kinds(settings: Settings) -> tuple[str, ...]:
    """Data kinds assigned to the workspace when no workspace folder is given (with connectors set)."""
    if workspace_path(settings) is not None:
        return ()
    return settings.connectors.sources.by_source().get("workspace", ())


def open_source(settings: Settings) -> SnapshotSource:
    """The workspace alone, or a composite of the configured CRM, support, usage and workspace sources."""
    workspace = open_workspace(settings) if uses_workspace(settings) else None
    only_workspace = set(settings.connectors.sources.by_source()) == {"workspace"}
    if workspace is not None and only_workspace and settings.connectors.enrichment.source != "pdl":
        return workspace
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
    def __init__(
        self,
        settings: Settings,
        source: SnapshotSource | None = None,
        today: Callable[[], date] = date.today,
        extraction: SignalExtraction | None = None,
    ) -> None:
        self.settings = settings
        if source is None:
            with gc_paused():  # loading builds ~20 records per account, the same allocation pattern
                source = open_source(settings)
        self.source = source
        self.rules: Rules = settings.rules.with_catalog(self.source.catalog)
        self.extraction = extraction or extraction_from_settings(settings, self.rules)
        self._today = today
        self._peers: dict[date, SegmentPeers] = {}

    def as_of(self, value: str | date | None = None) -> date:
        """Explicit day, else the workspace's export day (replays stay reproducible), else today;
        refused when the data do not cover it (see `check_as_of`)."""
        today = self._today()
        export = self.source.default_as_of
        day = parse_as_of(value, export or today)
        first = getattr(self.source, "first_day", None)
        return check_as_of(day, first() if callable(first) else None, export, today)

    def find(self, query: str, limit: int = 5) -> list[Account]:
        return self.source.find_accounts(query, limit)

    def snapshot(self, account_id: str, as_of: str | date | None = None) -> AccountSnapshot:
        return self._with_signals(self.source.snapshot(account_id, self.as_of(as_of)))

    def _with_signals(self, snapshot: AccountSnapshot) -> AccountSnapshot:
        """The snapshot with the signals read from its conversations (unchanged when nothing reads them)."""
        return snapshot if self.extraction is None else self.extraction.apply(snapshot, self.rules.catalog)

    def peers(self, day: date, snapshots: list[AccountSnapshot] | None = None) -> SegmentPeers:
        """Segment distributions for benchmarks, computed once per day per process."""
        if day not in self._peers:
            book = snapshots if snapshots is not None else list(self.source.snapshots(day))
            self._peers[day] = segment_peers(peer_metrics(s, self.rules) for s in book)
        return self._peers[day]

    def assess(self, account_id: str, as_of: str | date | None = None) -> AccountAssessment:
        snapshot = self.snapshot(account_id, as_of)
        return assess(snapshot, self.peers(snapshot.as_of), self.rules)

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
        if limit is not None and limit < 1:
            raise ValueError(f"limit {limit} must be at least 1 (or omitted for every account)")
        day = self.as_of(as_of)
        with gc_paused():
            return self._rank(day, segment, csm_owner, tier, limit, progress)

    def _rank(
        self,
        day: date,
        segment: str | None,
        csm_owner: str | None,
        tier: ReadinessTier | None,
        limit: int | None,
        progress: Progress | None,
    ) -> list[AccountAssessment]:
        book = [self._with_signals(s) for s in self.source.snapshots(day)]
        peers = self.peers(day, book)
        chosen = [
            s
            for s in book
            if (segment is None or s.account.segment == segment)
            and (csm_owner is None or s.account.csm_owner.lower() == csm_owner.lower())
        ]
        ranked = []
        for done, snapshot in enumerate(chosen, start=1):
            assessment = assess(snapshot, peers, self.rules)
            if tier is None or assessment.tier == tier:
                ranked.append(assessment)
            if progress:
                progress(done, len(chosen))
        ranked.sort(key=rank_order)
        return ranked[:limit] if limit else ranked
