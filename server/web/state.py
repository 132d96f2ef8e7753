"""What the web pages share: the desk, the store (opened on first use), and small local caches.

Ranking the whole book is the expensive step (seconds at 10,000 accounts), so the ranked book is kept
per (as_of, workspace), a few days at most; what changed in the 7 days before a day is diffed from two
of those books and kept per day too; the portfolio is kept per (day, calibration); charts are kept per
(account, as_of) and the backtest lift chart per stored backtest. All are local and small on purpose: a
shared cache in the desk can replace them without touching the pages.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Generic, TypeVar

from server.account_charts import AccountCharts, account_charts
from server.calibration import Calibration, current_calibration
from server.charts import backtest_lift_svg
from server.desk import Desk
from server.portfolio import DEFAULT_CHANGE_DAYS, portfolio
from server.store import ProposalStore, StoreError
from skills.assessment import AccountAssessment
from skills.backtest.report import BacktestReport
from skills.changes import BookChanges, book_changes
from skills.portfolio import PortfolioSummary
from skills.snapshot import Account

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A bounded map that computes a missing value once per key and drops the oldest entry.

    Concurrent requests for the same key wait for the one computation; other keys are not held up.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._computing: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = compute()
            with self._lock:
                self._items[key] = value
                self._computing.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value

    def peek(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)


class DeskState:
    def __init__(self, desk: Desk, store: ProposalStore | None = None) -> None:
        self.desk = desk
        self._store = store
        self._opening = threading.Lock()
        self._workspace = str(desk.settings.workspace or "demo")
        self._books: Lru[tuple[date, str], tuple[AccountAssessment, ...]] = Lru(4)
        self._by_id: Lru[tuple[date, str], dict[str, AccountAssessment]] = Lru(4)
        self._charts: Lru[tuple[str, date], AccountCharts] = Lru(64)
        self._changes: Lru[tuple[date, str], BookChanges] = Lru(4)
        self._portfolios: Lru[tuple[date, str, BacktestReport | None], PortfolioSummary] = Lru(4)
        self._lift_charts: Lru[BacktestReport, str] = Lru(2)
        self._accounts: dict[str, Account] | None = None

    def store(self) -> ProposalStore:
        with self._opening:
            if self._store is None:
                self._store = ProposalStore.from_settings(self.desk.settings)
            return self._store

    def day(self, as_of: str | None) -> date:
        return self.desk.as_of(as_of or None)

    def warm(self) -> None:
        """Rank the default day's book ahead of the first visit (run in a background thread)."""
        try:
            self.changes(self.day(None))  # ranks the day and the week before it
        except Exception as exc:  # the first request reports it properly; never kill the server
            log.warning("could not rank the book ahead of the first visit: %s", exc)

    def book(self, day: date) -> tuple[AccountAssessment, ...]:
        """Every account, ranked best first."""
        return self._books.get((day, self._workspace), lambda: tuple(self.desk.rank(day)))

    def assessment(self, account_id: str, day: date) -> AccountAssessment:
        """From the ranked book when it is at hand, else assessed alone (unknown ids raise UnknownAccountError)."""
        key = (day, self._workspace)
        if self._books.peek(key) is not None:
            found = self._by_id.get(key, lambda: {a.account_id: a for a in self.book(day)}).get(account_id)
            if found is not None:
                return found
        return self.desk.assess(account_id, day)

    def charts(self, assessment: AccountAssessment) -> AccountCharts:
        def draw() -> AccountCharts:
            return account_charts(self.desk, assessment, self.desk.snapshot(assessment.account_id, assessment.as_of))

        return self._charts.get((assessment.account_id, assessment.as_of), draw)

    def account(self, account_id: str) -> Account | None:
        if self._accounts is None:
            self._accounts = {a.account_id: a for a in self.desk.source.accounts()}
        return self._accounts.get(account_id)

    def changes(self, day: date) -> BookChanges:
        """What changed in the 7 days up to `day`: `server.portfolio.what_changed` (each side is the book
        ranked that day), diffed from the cached books so the book page does not rank `day` twice."""
        start = day - timedelta(days=DEFAULT_CHANGE_DAYS)
        return self._changes.get(
            (day, self._workspace), lambda: book_changes(self.book(start), self.book(day), start, day)
        )

    def calibration(self) -> Calibration:
        """The stored backtest for the current inputs; an unavailable store means "not calibrated"."""
        try:
            return current_calibration(self.desk, self.store())
        except StoreError as exc:
            log.warning("no calibration: %s", exc)
            return Calibration(None)

    def portfolio(self, day: date, calibration: Calibration) -> PortfolioSummary:
        key = (day, self._workspace, calibration.report)
        return self._portfolios.get(key, lambda: portfolio(self.desk, day, calibration.rate_for_tier))

    def lift_chart(self, report: BacktestReport) -> str:
        return self._lift_charts.get(report, lambda: backtest_lift_svg(report))
