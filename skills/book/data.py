"""The book at `as_of` as one value: every account with its records and usage facts, by account id.

A source that can read the whole book cheaply (the workspace: its tables are loaded once and its
usage is one set of SQL aggregates) hands this to the desk, which scores the book as columns and
builds an `AccountSnapshot` only for the accounts it prints. Any other source is adapted from its
snapshots with `BookData.from_snapshots`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from skills.snapshot import (
    Account,
    AccountSnapshot,
    Contact,
    Deal,
    Interaction,
    MissingEvidence,
    Outcome,
    Source,
    Ticket,
    UsageFacts,
)


@dataclass(frozen=True)
class BookData:
    """`usage` holds the facts of every account with events; an absent account gets `usage_default`
    (zeros when the usage source answered, None when it is missing). `missing` is the book-wide
    missing evidence, `missing_for` an account's own when it differs."""

    as_of: date
    accounts: Sequence[Account]
    contacts: Mapping[str, Sequence[Contact]] = field(default_factory=dict)
    deals: Mapping[str, Sequence[Deal]] = field(default_factory=dict)
    tickets: Mapping[str, Sequence[Ticket]] = field(default_factory=dict)
    interactions: Mapping[str, Sequence[Interaction]] = field(default_factory=dict)
    outcomes: Mapping[str, Sequence[Outcome]] = field(default_factory=dict)
    usage: Mapping[str, UsageFacts] = field(default_factory=dict)
    usage_default: UsageFacts | None = None
    missing: tuple[MissingEvidence, ...] = ()
    missing_for: Mapping[str, tuple[MissingEvidence, ...]] = field(default_factory=dict)
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    default_sources: Mapping[str, str] = field(default_factory=dict)

    def usage_of(self, account_id: str) -> UsageFacts | None:
        return self.usage.get(account_id, self.usage_default)

    def missing_of(self, account_id: str) -> tuple[MissingEvidence, ...]:
        return self.missing_for.get(account_id, self.missing)

    def lacks(self, account_id: str, kind: Source) -> bool:
        return any(m.kind == kind for m in self.missing_of(account_id))

    def snapshot(self, account: Account) -> AccountSnapshot:
        """The account's snapshot, exactly as a per-account read of the same source gives it."""
        i = account.account_id
        return AccountSnapshot.model_validate(
            {
                "as_of": self.as_of,
                "account": account,
                "contacts": tuple(self.contacts.get(i, ())),
                "deals": tuple(self.deals.get(i, ())),
                "tickets": tuple(self.tickets.get(i, ())),
                "interactions": tuple(self.interactions.get(i, ())),
                "outcomes": tuple(self.outcomes.get(i, ())),
                "usage": self.usage_of(i),
                "missing": self.missing_of(i),
                "sources": dict(self.sources.get(i, self.default_sources)),
            }
        )

    @classmethod
    def from_snapshots(cls, as_of: date, snapshots: Iterable[AccountSnapshot]) -> BookData:
        book = list(snapshots)
        return cls(
            as_of=as_of,
            accounts=[s.account for s in book],
            contacts={s.account_id: s.contacts for s in book},
            deals={s.account_id: s.deals for s in book},
            tickets={s.account_id: s.tickets for s in book},
            interactions={s.account_id: s.interactions for s in book},
            outcomes={s.account_id: s.outcomes for s in book},
            usage={s.account_id: s.usage for s in book if s.usage is not None},
            missing_for={s.account_id: s.missing for s in book},
            sources={s.account_id: s.sources for s in book},
        )
