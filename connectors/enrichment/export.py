"""`enrichment.csv` in the workspace: what a team exports from ZoomInfo, Clay or another provider.

Columns: account_id, as_of, employees, revenue, hiring_open_roles, champion_title, champion_company, and
optionally provider (the source to cite, e.g. "ZoomInfo") and contact_id (the champion's CRM contact).
Several rows per account, each dated, make the history growth and champion moves are read from. Without a
provider column every row cites the configured provider (`[connectors.enrichment] provider`).
"""

from __future__ import annotations

from pathlib import Path

from connectors.errors import DataError, DataIssue
from connectors.tables import group_by_account, read_table
from skills.snapshot import Account, Contact, EnrichmentRecord, Source, enrichment_provider

FILE = "enrichment.csv"


class EnrichmentExport:
    """The export's rows by account; a row's champion columns belong to the account's champion."""

    def __init__(self, path: Path, provider: str, known_accounts: set[str] | None = None) -> None:
        self.path = path
        self.name = f"{FILE}:{provider}"
        try:
            default = enrichment_provider(provider)
        except ValueError as exc:
            raise DataError([DataIssue(file=FILE, message=str(exc))]) from None
        rows = read_table(path, EnrichmentRecord, known_accounts)
        self._rows = group_by_account(
            [r if r.provider != Source.enrichment else r.model_copy(update={"provider": default}) for r in rows]
        )

    @classmethod
    def in_workspace(cls, folder: Path, provider: str, known_accounts: set[str]) -> EnrichmentExport | None:
        """The folder's export, or None when it has no enrichment.csv (enrichment is optional)."""
        path = folder / FILE
        return cls(path, provider, known_accounts) if path.is_file() else None

    def company(self, account: Account) -> tuple[EnrichmentRecord, ...]:
        return tuple(sorted(self._rows.get(account.account_id, ()), key=lambda r: r.as_of))

    def person(self, contact: Contact, account: Account) -> tuple[EnrichmentRecord, ...]:
        """An export row already carries the champion's title and company: `company` returns them."""
        return ()

    def check(self) -> str:
        return f"{sum(len(v) for v in self._rows.values())} rows for {len(self._rows)} accounts in {self.path}"

    def close(self) -> None:
        """Nothing to release: the file was read at start."""
