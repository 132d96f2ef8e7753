"""The embedded workspace source (SPEC §2): a folder of CSV files, Parquet accepted for usage."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import cast

from pydantic import BaseModel, ValidationError

from connectors.errors import DataError, DataIssue, UnknownAccountError, closest
from connectors.source import Progress
from connectors.tables import group_by_account, read_table
from connectors.usage_events import UsageEvents
from skills.book.data import BookData
from skills.book.peers import Activity
from skills.catalog import Catalog
from skills.rules import Rules
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
from skills.usage.aggregate import aggregate_usage, book_activity, no_usage
from skills.usage.sql import Scope

RECORD_FILES: dict[str, tuple[type[BaseModel], Source]] = {
    "contacts.csv": (Contact, Source.crm),
    "deals.csv": (Deal, Source.crm),
    "tickets.csv": (Ticket, Source.support),
    "interactions.csv": (Interaction, Source.conversations),
    "outcomes.csv": (Outcome, Source.outcomes),
}
USAGE_FILES = ("usage_events.parquet", "usage_events.csv")


def demo_workspace_path() -> Path:
    """The ~200-account demo bundled inside the installed package (the default workspace)."""
    return Path(str(resources.files("connectors") / "demo_workspace"))


def files_fingerprint(path: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime_ns) of each file in `path`, sorted: equal while no file is added, removed or changed."""
    with os.scandir(path) as entries:
        found = [(e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in entries if e.is_file()]
    return tuple(sorted(found))


class WorkspaceManifest(BaseModel):
    """Optional `manifest.json`: the day the data was exported, so replays stay reproducible."""

    as_of: date | None = None
    description: str = ""


class Workspace:
    """Loads and validates every file once; snapshots are then cheap, usage via DuckDB SQL."""

    name = "workspace"

    def __init__(self, path: Path, rules: Rules) -> None:
        if not (path / "accounts.csv").is_file():
            raise DataError(
                [DataIssue(file=str(path / "accounts.csv"), message="not found: a workspace needs accounts.csv")]
            )
        self.path = path
        self.rules = rules
        self.catalog = self._load_catalog()
        self.default_as_of = self._load_manifest().as_of
        issues: list[DataIssue] = []
        total = 0
        self._accounts: dict[str, Account] = {}
        try:
            for line, account in enumerate(read_table(path / "accounts.csv", Account), start=2):
                if account.account_id in self._accounts:
                    issues.append(
                        DataIssue(
                            file="accounts.csv",
                            line=line,
                            column="account_id",
                            value=account.account_id,
                            message="duplicate account id",
                        )
                    )
                self._accounts[account.account_id] = account
        except DataError as exc:
            issues, total = exc.issues, exc.total
        if issues:
            raise DataError(issues, max(total, len(issues)))
        self.missing: list[MissingEvidence] = []
        self._records: dict[str, dict[str, list[BaseModel]]] = {}
        errors: list[DataError] = []
        for file, (model, kind) in RECORD_FILES.items():
            if not (path / file).is_file():
                self.missing.append(MissingEvidence(kind=kind, reason=f"{file} not in workspace {path}"))
                continue
            try:
                self._records[file] = group_by_account(read_table(path / file, model, set(self._accounts)))
            except DataError as exc:
                errors.append(exc)
        usage_file = next((path / f for f in USAGE_FILES if (path / f).is_file()), None)
        self.usage: UsageEvents | None = None
        if usage_file is None:
            self.missing.append(MissingEvidence(kind=Source.usage, reason=f"no usage_events.csv or .parquet in {path}"))
        else:
            try:
                self.usage = UsageEvents(usage_file, set(self._accounts))
            except DataError as exc:
                errors.append(exc)
        if errors:
            raise DataError([i for e in errors for i in e.issues], sum(e.total for e in errors))

    def _load_catalog(self) -> Catalog:
        file = self.path / "catalog.json"
        if not file.is_file():
            return self.rules.catalog
        try:
            return Catalog.model_validate(json.loads(file.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise DataError(
                [DataIssue(file="catalog.json", line=exc.lineno, message=f"invalid JSON: {exc.msg}")]
            ) from exc
        except ValidationError as exc:
            raise DataError(
                [
                    DataIssue(file="catalog.json", column=".".join(str(p) for p in e["loc"]), message=e["msg"])
                    for e in exc.errors()
                ]
            ) from exc

    def _load_manifest(self) -> WorkspaceManifest:
        file = self.path / "manifest.json"
        if not file.is_file():
            return WorkspaceManifest()
        try:
            return WorkspaceManifest.model_validate_json(file.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise DataError([DataIssue(file="manifest.json", message=str(exc))]) from exc

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        q = query.strip().lower()
        exact = [a for a in self._accounts.values() if q in (a.account_id.lower(), a.name.lower(), a.domain.lower())]
        partial = [
            a for a in self._accounts.values() if a not in exact and (q in a.name.lower() or q in a.domain.lower())
        ]
        if exact or partial:
            return (exact + sorted(partial, key=lambda a: (len(a.name), a.name)))[:limit]
        ids = [s.split(" (")[0] for s in closest(query, self._labels(), limit)]
        return [self._accounts[i] for i in ids]

    def _labels(self) -> dict[str, str]:
        return {a.account_id: a.name for a in self._accounts.values()}

    def resolve(self, account_id: str) -> Account:
        if account_id not in self._accounts:
            raise UnknownAccountError(account_id, closest(account_id, self._labels()))
        return self._accounts[account_id]

    def snapshot(self, account_id: str, as_of: date) -> AccountSnapshot:
        account = self.resolve(account_id)
        return self.book(as_of, account_id).snapshot(account)

    def snapshots(self, as_of: date, progress: Progress | None = None) -> Iterator[AccountSnapshot]:
        book = self.book(as_of)
        total = len(self._accounts)
        for done, account in enumerate(self._accounts.values(), start=1):
            yield book.snapshot(account)
            if progress:
                progress(done, total)

    def book(self, as_of: date, account_id: str | None = None) -> BookData:
        """The whole book at `as_of` (usage aggregated once), or only `account_id`'s usage when given."""
        facts = self._usage(Scope("usage_events", account_id), as_of)
        records = {file: self._records.get(file, {}) for file in RECORD_FILES}
        return BookData(
            as_of=as_of,
            accounts=list(self._accounts.values()),
            contacts=cast("dict[str, list[Contact]]", records["contacts.csv"]),
            deals=cast("dict[str, list[Deal]]", records["deals.csv"]),
            tickets=cast("dict[str, list[Ticket]]", records["tickets.csv"]),
            interactions=cast("dict[str, list[Interaction]]", records["interactions.csv"]),
            outcomes=cast("dict[str, list[Outcome]]", records["outcomes.csv"]),
            usage=facts or {},
            usage_default=None if facts is None else no_usage(as_of, self.rules.usage),
            missing=tuple(self.missing),
            default_sources={kind.value: f"{self.name}:{self.path.name}" for kind in Source if kind != Source.catalog},
        )

    def activity(self, as_of: date) -> dict[str, Activity] | None:
        """Active users (30d, 90d) and workflow completions of every account with events: what segment
        benchmarks need, one aggregate instead of the whole usage picture. None when usage is missing."""
        if self.usage is None:
            return None
        return book_activity(self.usage.run, Scope("usage_events"), as_of, self.rules.usage)

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """Name, size and modification time of every file of the workspace: a change means reload."""
        return files_fingerprint(self.path)

    def _usage(self, scope: Scope, as_of: date) -> dict[str, UsageFacts] | None:
        return None if self.usage is None else aggregate_usage(self.usage.run, scope, as_of, self.rules.usage)

    def close(self) -> None:
        if self.usage is not None:
            self.usage.close()
