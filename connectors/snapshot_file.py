"""A recorded `AccountSnapshot` JSON as a data source, so an eval case can replay one account exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from connectors.errors import DataError, DataIssue, UnknownAccountError
from connectors.source import Progress
from skills.catalog import Catalog
from skills.snapshot import Account, AccountSnapshot


class SnapshotFile:
    """One frozen account: its usage facts were aggregated at the snapshot's `as_of`, so only that day replays."""

    name = "snapshot"

    def __init__(self, path: Path, catalog: Catalog) -> None:
        try:
            self._snapshot = AccountSnapshot.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DataError([DataIssue(file=str(path), message="not found")]) from exc
        except ValidationError as exc:
            raise DataError(
                [
                    DataIssue(file=path.name, column=".".join(str(p) for p in e["loc"]), message=e["msg"])
                    for e in exc.errors()
                ]
            ) from exc
        self.catalog = catalog
        self.default_as_of: date | None = self._snapshot.as_of

    def accounts(self) -> list[Account]:
        return [self._snapshot.account]

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        account = self._snapshot.account
        return [account] if query.lower() in (account.account_id.lower(), account.name.lower()) else []

    def snapshot(self, account_id: str, as_of: date) -> AccountSnapshot:
        account = self._snapshot.account
        if account_id != account.account_id:
            raise UnknownAccountError(account_id, [f"{account.account_id} ({account.name})"])
        if as_of != self._snapshot.as_of:
            raise ValueError(
                f"the snapshot of {account_id} was taken at {self._snapshot.as_of}; it cannot replay {as_of}"
            )
        return self._snapshot

    def snapshots(self, as_of: date, progress: Progress | None = None) -> Iterator[AccountSnapshot]:
        yield self.snapshot(self._snapshot.account_id, as_of)
        if progress:
            progress(1, 1)
