"""The application core every front end shares (CLI, MCP server, eval harness, chat).

It holds a data source and the rules, and answers: snapshot, assess, rank, find.
"""

from __future__ import annotations

import difflib
import gc
import heapq
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from connectors.errors import DataError, DataIssue
from connectors.source import Progress, SnapshotSource
from connectors.workspace import READ_ALL, Reading, Workspace, demo_workspace_path
from server.forked import Claims, cores, in_parallel
from server.settings import Settings
from skills.assessment import (
    AccountAssessment,
    RankOrder,
    assess,
    peer_metrics,
    rank_order,
    readiness,
    standing,
)
from skills.playbook.readiness_score import ReadinessTier
from skills.proposal.benchmarks import PeerMetrics, SegmentPeers, segment_peers
from skills.rules import Rules
from skills.snapshot import EARLIEST_DAY, Account, AccountSnapshot

if TYPE_CHECKING:
    from server.drafting.extraction import SignalExtraction

BookParts = tuple[SegmentPeers, list[str], Callable[[str], AccountSnapshot]]
"""A day's segment peers, the ids of the accounts asked for, and each one's snapshot by id."""

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


def open_workspace(settings: Settings, reading: Reading = READ_ALL) -> Workspace | None:
    path = workspace_path(settings)
    if path is None:
        return None
    if not path.is_dir():
        raise DataError([DataIssue(file=str(path), message="workspace folder not found")])
    enrichment = settings.connectors.enrichment
    provider = enrichment.provider if enrichment.source == "workspace" else None
    return Workspace(path, settings.rules, provider, reading=reading)


def uses_workspace(settings: Settings) -> bool:
    return "workspace" in settings.connectors.sources.by_source()


def unsourced_kinds(settings: Settings) -> tuple[str, ...]:
    """Data kinds assigned to the workspace when no workspace folder is given (with connectors set)."""
    if workspace_path(settings) is not None:
        return ()
    return settings.connectors.sources.by_source().get("workspace", ())


def open_source(settings: Settings, reading: Reading = READ_ALL) -> SnapshotSource:
    """The workspace alone, or a composite of the configured CRM, support, usage and workspace sources.
    `reading`: what the caller will ask of the workspace (see `Reading`)."""
    workspace = open_workspace(settings, reading) if uses_workspace(settings) else None
    only_workspace = set(settings.connectors.sources.by_source()) == {"workspace"}
    if workspace is not None and only_workspace and settings.connectors.enrichment.source != "pdl":
        return workspace
    from connectors.composite import CompositeSource  # the CRM and HTTP clients, only when configured

    return CompositeSource(settings.connectors, settings.rules, workspace)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Ranking a book allocates ~40 small immutable models per account and frees almost none, so
    cyclic-GC passes over the growing heap cost as much as the work itself (half the time at 10,000
    accounts). The objects hold no reference cycles; refcounting still frees them.

    On the way out the survivors are frozen (moved out of the collector's generations): otherwise
    the first collection after the pause walks every one of them again (0.5 s at 10,000 accounts),
    and a server keeping the book would walk it on every full collection, a pause a caller waits on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _extraction(settings: Settings, rules: Rules) -> SignalExtraction | None:
    """Signal extraction when the settings turn it on; its module (the Anthropic SDK) loads only then."""
    if not settings.extraction.enabled():
        return None
    from server.drafting.extraction import extraction_from_settings

    return extraction_from_settings(settings, rules)


class Owned(Protocol):
    """An account or its assessment: what the segment and CSM filters read."""

    @property
    def segment(self) -> str: ...

    @property
    def csm_owner(self) -> str: ...


def account_filter(segment: str | None, csm_owner: str | None) -> Callable[[Owned], bool]:
    """One segment, one CSM (any letter case); None is any. It reads account fields only, so it picks
    the same accounts before they are assessed as after."""
    owner = csm_owner.lower() if csm_owner is not None else None
    return lambda a: (segment is None or a.segment == segment) and (owner is None or a.csm_owner.lower() == owner)


def book_filter(
    segment: str | None, csm_owner: str | None, tier: ReadinessTier | None
) -> Callable[[AccountAssessment], bool]:
    """The accounts a ranking asks for: `account_filter`, and one tier (None is any)."""
    of_account = account_filter(segment, csm_owner)
    return lambda a: of_account(a) and (tier is None or a.tier == tier)


PARKED_WRITE_BYTES = 1 << 20
"""How much encoded text a ranking's worker gathers before writing it to its parked file."""

CLAIMED_ACCOUNTS = 250
"""Accounts a ranking's worker claims at a time (`Claims`), or fewer: a book is cut into at least one
chunk per process. At ~0.4 ms an account, the workers end within ~0.1 s of each other."""

TOP_SHARE = 4
"""A ranking whose limit is at most 1/TOP_SHARE of the accounts asked for orders them by readiness
score and standing (a third to a half of an assessment each) and assesses only its top (`Desk._top`):
cheaper than assessing them all."""


def split(ids: list[str], parts: int) -> list[list[str]]:
    """`ids` in at most `parts` contiguous runs of near-equal size (one empty run for no ids)."""
    size = max(1, -(-len(ids) // parts))
    return [ids[k : k + size] for k in range(0, len(ids), size)] or [[]]


class Desk:
    """Ranked books are kept per day while the workspace's files are unchanged (size and modification
    time), so a warm `rank` only filters; a changed file reloads the workspace on the next call.
    Sources without a fingerprint (CRM APIs, a warehouse) are read afresh for each rank.

    A desk opened for one ranking (`Reading.whole_book`, the `rank` command) keeps nothing: it
    assesses only what it prints (see `TOP_SHARE`) and, for JSON, encodes each account as made."""

    def __init__(
        self,
        settings: Settings,
        source: SnapshotSource | None = None,
        today: Callable[[], date] = date.today,
        extraction: SignalExtraction | None = None,
        reading: Reading = READ_ALL,
    ) -> None:
        """`reading`: what a one-shot caller will ask (one account; the whole book at a day), so the
        workspace loads for it (see `Reading`); a server keeps the default."""
        self.settings = settings
        self._owns_source = source is None
        self._reading = reading
        if source is None:
            with gc_paused():  # loading builds ~20 records per account, the same allocation pattern
                source = open_source(settings, reading)
        self.source = source
        self.rules: Rules = settings.rules.with_catalog(self.source.catalog)
        self.extraction = extraction or _extraction(settings, self.rules)
        self._today = today
        self._peers: dict[date, SegmentPeers] = {}
        self._lock = threading.RLock()
        self._fingerprint = self._source_fingerprint()
        self._books: dict[date, list[AccountAssessment]] = {}
        self._indexed: dict[date, dict[str, AccountAssessment]] = {}
        self._ranking: dict[date, Future[list[AccountAssessment]]] = {}
        """Books being ranked, by day: later callers for that day wait on them."""

    def close(self) -> None:
        """The source's connections (the usage events' DuckDB, its spill files) closed, if the desk
        opened the source; the desk answers nothing after."""
        close = getattr(self.source, "close", None)
        if self._owns_source and callable(close):
            close()

    def _source_fingerprint(self) -> object | None:
        fingerprint = getattr(self.source, "fingerprint", None)
        return fingerprint() if callable(fingerprint) else None

    def _refresh(self) -> None:
        """Drop what was computed when the workspace files changed, reloading the workspace the desk
        opened. Not while a book is being ranked: its source stays until it is done (the next call
        after it reloads)."""
        if self._fingerprint is None or self._ranking or self._source_fingerprint() == self._fingerprint:
            return
        if self._owns_source:
            close = getattr(self.source, "close", None)
            with gc_paused():
                self.source = open_source(self.settings, self._reading)
            if callable(close):
                close()
            self.rules = self.settings.rules.with_catalog(self.source.catalog)
        self._fingerprint = self._source_fingerprint()
        self._books.clear()
        self._indexed.clear()
        self._peers.clear()

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
        with self._lock:
            self._refresh()
        return self._with_signals(self.source.snapshot(account_id, self.as_of(as_of)))

    def _with_signals(self, snapshot: AccountSnapshot) -> AccountSnapshot:
        """The snapshot with the signals read from its conversations (unchanged when nothing reads them)."""
        return snapshot if self.extraction is None else self.extraction.apply(snapshot, self.rules.catalog)

    def peers(self, day: date, snapshots: list[AccountSnapshot] | None = None) -> SegmentPeers:
        """Segment distributions for benchmarks, computed once per day per process."""
        if day not in self._peers:
            from_source = getattr(self.source, "peer_metrics", None)
            if snapshots is None and callable(from_source):
                metrics: list[PeerMetrics] = from_source(day)
            else:
                book = snapshots if snapshots is not None else list(self.source.snapshots(day))
                metrics = [peer_metrics(s.account, s.usage) for s in book]
            self._peers[day] = segment_peers(metrics)
        return self._peers[day]

    def assess(self, account_id: str, as_of: str | date | None = None) -> AccountAssessment:
        """From the kept book of that day when the id is in it (the same assessment), else computed."""
        day = self.as_of(as_of)
        with self._lock:
            self._refresh()
            found = self._indexed.get(day, {}).get(account_id)
        if found is not None:
            return found
        snapshot = self.snapshot(account_id, day)
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
        progress: Progress | None = None,
        jobs: int | None = None,
    ) -> tuple[int, Iterator[AccountAssessment]]:
        """How many accounts pass the filters, and their assessments best first (score, then proposed
        value, then id), one at a time so a caller can write each as it comes. `jobs`: processes
        ranking a one-ranking desk's book by standing (default: the machine's cores)."""
        day = self._day_and_limit(as_of, limit)
        if self._reading.whole_book and limit is not None and not self._kept(day):
            wanted = account_filter(segment, csm_owner)
            if self._top_pays(limit, sum(map(wanted, self.source.accounts()))):
                total, top = self._top(self._book_parts(day, wanted), tier, limit, jobs, progress)
                return total, iter(top)
        chosen = list(filter(book_filter(segment, csm_owner, tier), self.book(day, progress)))
        return len(chosen), iter(chosen[:limit] if limit else chosen)

    def _kept(self, day: date) -> bool:
        with self._lock:
            self._refresh()
            return day in self._books

    def _top_pays(self, limit: int | None, accounts: int) -> bool:
        """Whether ranking by standing first is cheaper: a limit small against the accounts asked for,
        and no signal reader (it would read the top accounts' conversations twice)."""
        return limit is not None and limit * TOP_SHARE <= accounts and self.extraction is None

    def _processes(self, jobs: int | None) -> int:
        # the signal reader holds network and cache connections a forked process must not share
        return 1 if self.extraction is not None else jobs or cores()

    def _top(
        self,
        parts: BookParts,
        tier: ReadinessTier | None,
        limit: int,
        jobs: int | None,
        progress: Progress | None = None,
    ) -> tuple[int, list[AccountAssessment]]:
        """How many of the accounts are of `tier` (any when None), and the `limit` best of them
        assessed, in three cuts, each in forked parts: the readiness score of every account that can
        reach the limit-th best (of every account of `tier`, when one is asked for); the standing
        (score, then proposed value) of those scoring at least the limit-th best score, since no other
        can be among the best; the full assessment of the chosen only."""
        peers, ids, snapshot_of = parts
        runs = split(ids, self._processes(jobs))

        def scored(k: int) -> list[tuple[int, str]]:
            """Run k's scores of `tier`; without a tier, only of the accounts that can reach the least
            of the run's `limit` best scores so far (the book's limit-th best is no lower)."""
            found: list[tuple[int, str]] = []
            best: list[int] = []  # a heap of the run's `limit` best scores so far
            for done, account_id in enumerate(runs[k], start=1):
                at_least = best[0] if tier is None and len(best) == limit else 0
                reached = readiness(snapshot_of(account_id), self.rules, at_least)
                if reached is not None and (tier is None or reached[1] == tier):
                    found.append((reached[0], account_id))
                    if len(best) < limit:
                        heapq.heappush(best, reached[0])
                    else:
                        heapq.heappushpop(best, reached[0])
                if progress and k == 0:  # this process's share, scaled to the book
                    progress(min(done * len(runs), len(ids)), len(ids))
            return found

        with gc_paused():
            scores = list(chain.from_iterable(in_parallel(scored, len(runs))))
            cutoff = heapq.nlargest(limit, (score for score, _ in scores))[-1] if scores else 0
            contenders = split([account_id for score, account_id in scores if score >= cutoff], len(runs))

            def placed(k: int) -> list[RankOrder]:
                return [standing(snapshot_of(account_id), self.rules) for account_id in contenders[k]]

            orders = sorted(chain.from_iterable(in_parallel(placed, len(contenders))))
            total = len(ids) if tier is None else len(scores)
            return total, [assess(snapshot_of(order[2]), peers, self.rules) for order in orders[:limit]]

    def _day_and_limit(self, as_of: str | date | None, limit: int | None) -> date:
        if limit is not None and limit < 1:
            raise ValueError(f"limit {limit} must be at least 1 (or omitted for every account)")
        return self.as_of(as_of)

    def book(self, day: date, progress: Progress | None = None) -> list[AccountAssessment]:
        """Every account assessed at `day`, best first; kept while the workspace files are unchanged.

        The book is ranked outside the desk's lock, so a server's other calls (a score, a proposal)
        go on while a cold book is ranked (10 s at 10,000 accounts); a second caller for the same day
        waits for the first one's book instead of ranking it again."""
        with self._lock:
            self._refresh()
            cached = self._books.get(day)
            if cached is not None:
                return cached
            ranking = self._ranking.get(day)
            if ranking is None:
                ranking = self._ranking[day] = Future()
                leader, fingerprint = True, self._fingerprint
            else:
                leader = False
        if not leader:
            return ranking.result()
        try:
            with gc_paused():
                ranked = sorted(self._assessments(day, progress), key=rank_order)
        except BaseException as exc:
            with self._lock:
                del self._ranking[day]
            ranking.set_exception(exc)
            raise
        with self._lock:
            del self._ranking[day]
            if fingerprint is not None and fingerprint == self._fingerprint and not self._reading.whole_book:
                self._books[day] = ranked
                self._indexed[day] = {a.account_id: a for a in ranked}
        ranking.set_result(ranked)
        return ranked

    def _assessments(self, day: date, progress: Progress | None) -> Iterator[AccountAssessment]:
        """Every account assessed at `day`, in the source's order."""
        peers, ids, snapshot_of = self._book_parts(day)
        for done, account_id in enumerate(ids, start=1):
            yield assess(snapshot_of(account_id), peers, self.rules)
            if progress:
                progress(done, len(ids))

    def ranked_text(
        self,
        encode: Callable[[AccountAssessment], bytes],
        as_of: str | date | None = None,
        segment: str | None = None,
        csm_owner: str | None = None,
        tier: ReadinessTier | None = None,
        limit: int | None = None,
        jobs: int | None = None,
    ) -> Iterator[bytes]:
        """As `ranked`, each account already written out by `encode` (its JSON, say), for a one-shot
        caller. Unless the day's book is kept, each assessment is encoded as soon as it is made and
        the text parked in a temporary file until the order is known: a big book is never held
        whole (at 10,000 accounts the assessments alone are 290 MB; their JSON is 87 MB, on disk).

        `jobs` processes (default: the machine's cores) build and assess the book, claiming contiguous
        chunks of it in turn (`Claims`); each forked one shares the loaded workspace copy-on-write (see
        server.forked). A limit small against the book ranks it by standing and assesses only the
        accounts written (`_top`)."""
        day = self._day_and_limit(as_of, limit)
        if self._kept(day):
            yield from map(encode, self.ranked(day, segment, csm_owner, tier, limit)[1])
            return
        parts = self._book_parts(day, account_filter(segment, csm_owner))
        if self._top_pays(limit, len(parts[1])):
            yield from map(encode, self._top(parts, tier, limit or 0, jobs)[1])
            return
        peers, ids, snapshot_of = parts
        cores_asked = self._processes(jobs)
        chunks = split(ids, max(cores_asked, len(ids) // CLAIMED_ACCOUNTS))
        processes, claims = min(cores_asked, len(chunks)), Claims(len(chunks))
        with ExitStack() as files:
            parked = [files.enter_context(tempfile.TemporaryFile()) for _ in range(processes)]

            def park(k: int) -> list[tuple[RankOrder, int, int, int]]:
                """Process k's claimed chunks assessed and encoded into its own file: (rank order,
                process, offset, length). Texts go to the file a mebibyte at a time (a write and a tell
                each account cost 2% of the CPU at 10,000 accounts)."""
                order = []
                pending: list[bytes] = []
                offset = written = 0
                for chunk in claims:
                    for account_id in chunks[chunk]:
                        assessment = assess(snapshot_of(account_id), peers, self.rules)
                        if tier is None or assessment.tier == tier:
                            text = encode(assessment)
                            order.append((rank_order(assessment), k, offset, len(text)))
                            offset += len(text)
                            pending.append(text)
                    if offset - written >= PARKED_WRITE_BYTES:
                        parked[k].write(b"".join(pending))
                        pending.clear()
                        written = offset
                parked[k].write(b"".join(pending))
                parked[k].flush()
                return order

            with gc_paused():
                order = sorted(chain.from_iterable(in_parallel(park, processes)))
            descriptors = [file.fileno() for file in parked]
            for _, k, offset, length in order[:limit] if limit else order:
                yield os.pread(descriptors[k], length, offset)

    def _book_parts(self, day: date, wanted: Callable[[Account], bool] = lambda _: True) -> BookParts:
        """The day's peers (the whole book's), the ids of the `wanted` accounts, and each account's
        snapshot by id. A source that keeps the book's usage (the workspace) builds a snapshot only
        when asked, in the process that assesses it; any other is read whole here."""
        with gc_paused():  # loading builds ~20 records per account: the allocation pattern gc_paused is for
            ids = [account.account_id for account in self.source.accounts() if wanted(account)]
            book_usage = getattr(self.source, "book_usage", None)
            if callable(book_usage):
                book_usage(day)
                return (
                    self.peers(day),
                    ids,
                    lambda account_id: self._with_signals(self.source.snapshot(account_id, day)),
                )
            snapshots = {s.account_id: self._with_signals(s) for s in self.source.snapshots(day)}
            return self.peers(day, list(snapshots.values())), ids, snapshots.__getitem__

    def rank(
        self,
        as_of: str | date | None = None,
        segment: str | None = None,
        csm_owner: str | None = None,
        tier: ReadinessTier | None = None,
        limit: int | None = None,
        progress: Progress | None = None,
        jobs: int | None = None,
    ) -> list[AccountAssessment]:
        """The Expansion-Ready Account List: best first (score, then proposed value, then id)."""
        return list(self.ranked(as_of, segment, csm_owner, tier, limit, progress, jobs)[1])
