"""A scored book: the columns that rank it, and the full assessment of any account on demand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from skills.assessment import AccountAssessment, assess
from skills.book.data import BookData
from skills.book.peers import book_peers
from skills.book.scores import BookScores, score_book
from skills.proposal.benchmarks import SegmentPeers
from skills.rules import Rules


@dataclass(frozen=True)
class ScoredBook:
    data: BookData
    scores: BookScores
    peers: SegmentPeers
    rules: Rules

    @classmethod
    def of(cls, data: BookData, rules: Rules) -> ScoredBook:
        def activity(account_id: str) -> tuple[int, int, int] | None:
            facts = data.usage_of(account_id)
            if facts is None:
                return None
            return facts.active_users_30d, facts.active_users_90d, facts.workflow_completions_90d

        return cls(data=data, scores=score_book(data, rules), peers=book_peers(data.accounts, activity), rules=rules)

    def index_of(self, account_id: str) -> int | None:
        return self._positions.get(account_id)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {account_id: n for n, account_id in enumerate(self.scores.account_ids)}

    def assess(self, index: int) -> AccountAssessment:
        """The full assessment (evidence, pricing, timing, ...) of the book's `index`-th account."""
        return assess(self.data.snapshot(self.data.accounts[index]), self.peers, self.rules)

    def assessments(self, indices: Iterable[int]) -> Iterator[AccountAssessment]:
        return (self.assess(i) for i in indices)
