"""What every data source offers the calculators, whatever it reads (CSV, CRM APIs, warehouse)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Protocol

from connectors.errors import UnknownAccountError
from skills.catalog import Catalog
from skills.snapshot import Account, AccountSnapshot

Progress = Callable[[int, int], None]


def id_then_search(
    query: str,
    looks_like_id: bool,
    by_id: Callable[[str], Account],
    search: Callable[[str, int], list[Account]],
    limit: int,
) -> list[Account]:
    """A CRM lookup for what a user typed: the record itself when it is an id, else a name/domain search."""
    if looks_like_id:
        try:
            return [by_id(query.strip())]
        except UnknownAccountError:
            pass
    return search(query, limit)


class SnapshotSource(Protocol):
    name: str
    catalog: Catalog
    default_as_of: date | None

    def accounts(self) -> list[Account]:
        """Every account in the book (CRM fields only; cheap)."""
        ...

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        """Accounts whose id, name or domain matches `query`, best first."""
        ...

    def snapshot(self, account_id: str, as_of: date) -> AccountSnapshot:
        """One account; raises UnknownAccountError naming the closest ids."""
        ...

    def snapshots(self, as_of: date, progress: Progress | None = None) -> Iterator[AccountSnapshot]:
        """Every account, with usage aggregated for the whole book in one pass where possible."""
        ...
