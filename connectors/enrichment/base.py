"""What every enrichment provider offers: dated company and person facts for an account, typed as
`EnrichmentRecord`s the calculators read from the snapshot. "No match" is an empty result, never an error;
a provider that cannot answer raises SourceError, and the snapshot then lists enrichment as missing."""

from __future__ import annotations

from typing import Protocol

from skills.snapshot import Account, Contact, EnrichmentRecord


class EnrichmentProvider(Protocol):
    name: str

    def company(self, account: Account) -> tuple[EnrichmentRecord, ...]:
        """Company facts (employees, revenue, open roles), oldest first; () when the provider has no match."""
        ...

    def person(self, contact: Contact, account: Account) -> tuple[EnrichmentRecord, ...]:
        """Where the contact works and their title over time (champion_title / champion_company)."""
        ...

    def check(self) -> str:
        """One cheap call: what works, or SourceError saying what to fix."""
        ...

    def close(self) -> None: ...


def enrich(
    provider: EnrichmentProvider, account: Account, contacts: tuple[Contact, ...]
) -> tuple[EnrichmentRecord, ...]:
    """The account's company records plus its champions' person records."""
    records = list(provider.company(account))
    for contact in contacts:
        if contact.role == "champion":
            records.extend(provider.person(contact, account))
    return tuple(records)
