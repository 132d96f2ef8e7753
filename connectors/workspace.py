"""The embedded workspace source (SPEC §2): a folder of CSV files, Parquet accepted for usage."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.enrichment.export import EnrichmentExport
from connectors.errors import DataError, DataIssue, UnknownAccountError, closest
from connectors.source import Progress
from connectors.tables import Table, group_by_account, load_table, read_table
from connectors.text_files import read_text
from connectors.usage_events import UsageEvents
from skills.assessment import peer_metrics
from skills.catalog import Catalog
from skills.proposal.benchmarks import PeerMetrics
from skills.retention import ArrHistory, ArrMonth
from skills.rules import Rules
from skills.snapshot import (
    EARLIEST_DAY,
    LATEST_DAY,
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
from skills.usage.aggregate import activity_usage, aggregate_usage, no_usage
from skills.usage.sql import Scope

RECORD_FILES: dict[str, tuple[type[BaseModel], Source]] = {
    "contacts.csv": (Contact, Source.crm),
    "deals.csv": (Deal, Source.crm),
    "tickets.csv": (Ticket, Source.support),
    "interactions.csv": (Interaction, Source.conversations),
    "outcomes.csv": (Outcome, Source.outcomes),
}
USAGE_FILES = ("usage_events.parquet", "usage_events.csv")
ARR_HISTORY_FILE = "arr_history.csv"


def demo_workspace_path() -> Path:
    """The ~200-account demo bundled inside the installed package (the default workspace)."""
    return Path(str(resources.files("connectors") / "demo_workspace"))


class WorkspaceManifest(BaseModel):
    """Optional `manifest.json`: the day the data was exported, so replays stay reproducible."""

    model_config = ConfigDict(extra="ignore")

    as_of: date | None = None
    description: str = ""


def pydantic_issues(file: str, exc: ValidationError) -> list[DataIssue]:
    """One readable issue per pydantic error: the dotted key path as the column, the value shown."""
    issues = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or None
        message = str(e["msg"]).removeprefix("Value error, ")
        value = e.get("input")
        shown = None if value is None or isinstance(value, dict | list) else str(value)[:80]
        issues.append(DataIssue(file=file, column=where, value=shown, message=message))
    return issues


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise DataError(
            [DataIssue(file=path.name, line=exc.lineno, message=f"invalid JSON: {exc.msg} (column {exc.colno})")]
        ) from None


class Problems:
    """Every problem of every file, gathered in one pass and raised once."""

    def __init__(self) -> None:
        self.issues: list[DataIssue] = []
        self.total = 0

    def add(self, exc: DataError) -> None:
        self.issues.extend(exc.issues)
        self.total += exc.total

    def raise_if_any(self) -> None:
        if self.total:
            raise DataError(self.issues, self.total)


@dataclass(frozen=True)
class Reading:
    """What a caller will ask of a workspace, so that loading prepares for it.

    `records_on_demand`: contacts, deals, tickets, interactions and outcomes are read when first
    needed: one account's rows for a single-account answer (only their problems are reported: other
    accounts' rows are not its evidence), every row and every problem at once for the book.
    `whole_book`: the book will be ranked, so its usage is aggregated (at `as_of`, else the export
    day in manifest.json) on DuckDB's threads while the small tables load here.
    """

    records_on_demand: bool = False
    whole_book: bool = False
    as_of: date | None = None


READ_ALL = Reading()
"""Every file read and checked when the workspace opens, nothing prepared: what a server keeps."""


class Workspace:
    """Loads and validates every file once; snapshots are then cheap, usage via DuckDB SQL.

    Every file is read and checked before anything is reported, so a user sees every problem of
    every file in one run; a single-account reading (`Reading.records_on_demand`) checks that
    account's records only, and `arr_history.csv` is read when the portfolio first asks.
    """

    name = "workspace"

    def __init__(
        self,
        path: Path,
        rules: Rules,
        enrichment_provider: str | None = "enrichment",
        *,
        reading: Reading = READ_ALL,
    ) -> None:
        """`enrichment_provider` names the source an `enrichment.csv` without a provider column cites;
        None when enrichment comes from elsewhere (the file is then not read). `reading`: what the
        caller will ask, so that loading prepares for it."""
        if not (path / "accounts.csv").is_file():
            raise DataError(
                [DataIssue(file=str(path / "accounts.csv"), message="not found: a workspace needs accounts.csv")]
            )
        self.path = path
        self.rules = rules
        problems = Problems()
        self.catalog = self._load_catalog(problems)
        self.default_as_of = self._load_manifest(problems).as_of
        self._book_usage: tuple[date, dict[str, UsageFacts] | None] | None = None
        present = [path / f for f in USAGE_FILES if (path / f).is_file()]
        # DuckDB reads the usage file (and aggregates the book) on its own threads from the start,
        # while accounts.csv and the small tables load here: the two overlap instead of adding up
        book_day = (reading.as_of or self.default_as_of) if reading.whole_book else None
        if book_day is not None and not EARLIEST_DAY <= book_day <= (self.default_as_of or LATEST_DAY):
            book_day = None  # a day the data do not cover: the desk refuses it, with the range
        known_ids: Future[set[str]] = Future()
        with ThreadPoolExecutor(max_workers=1) as pool:
            loading = pool.submit(self._open_usage, present[0], known_ids, book_day) if len(present) == 1 else None
            try:
                known = self._load_accounts(problems)
            except BaseException:
                known_ids.set_result(set())  # the usage thread must not wait for ever
                raise
            known_ids.set_result(known)
            self.missing: list[MissingEvidence] = []
            self._known = known
            self._records: dict[str, dict[str, list[BaseModel]]] | None = None
            self._records_of_account: dict[str, dict[str, list[BaseModel]]] = {}
            self._record_files = [file for file in RECORD_FILES if (path / file).is_file()]
            self.missing += [
                MissingEvidence(kind=kind, reason=f"{file} not in workspace {path}")
                for file, (_, kind) in RECORD_FILES.items()
                if file not in self._record_files
            ]
            self._arr_history: ArrHistory | None = None
            self.usage: UsageEvents | None = None
            if not reading.records_on_demand:
                self._records = self._read_records(problems)
            self.enrichment: EnrichmentExport | None = None
            if enrichment_provider is not None:
                try:
                    self.enrichment = EnrichmentExport.in_workspace(path, enrichment_provider, known)
                except DataError as exc:
                    problems.add(exc)
            if len(present) > 1:
                message = "both usage_events.parquet and usage_events.csv are present; keep exactly one of them"
                problems.add(DataError([DataIssue(file="usage_events.csv", message=message)]))
            elif loading is None:
                reason = f"no usage_events.csv or .parquet in {path}"
                self.missing.append(MissingEvidence(kind=Source.usage, reason=reason))
            else:
                try:
                    self.usage, book_usage = loading.result()
                    if book_day is not None and (self.first_day() or EARLIEST_DAY) <= book_day:
                        self._book_usage = (book_day, book_usage)
                except DataError as exc:
                    problems.add(exc)
        if problems.total and self.usage is not None:
            self.usage.close()
        problems.raise_if_any()
        kinds = [Source.crm, Source.usage, Source.support, Source.conversations, Source.outcomes]
        kinds += [Source.enrichment] if self.enrichment else []
        self._sources = {kind.value: f"{self.name}:{self.path.name}" for kind in kinds}

    def _load_accounts(self, problems: Problems) -> set[str]:
        """accounts.csv read and checked; every account id it names, good rows or bad."""
        accounts = load_table(self.path / "accounts.csv", Account, require_rows=True)
        self._accounts: dict[str, Account] = {}
        self._folded: dict[str, Account] | None = None
        self._check_accounts(accounts)
        self._first_day = min((a.contract_start for a in self._accounts.values()), default=None)
        if accounts.total:
            problems.add(DataError(accounts.issues, accounts.total))
        return set(self._accounts) | accounts.ids

    def _open_usage(
        self, path: Path, known: Future[set[str]], book_day: date | None
    ) -> tuple[UsageEvents, dict[str, UsageFacts] | None]:
        """The usage file validated, and the whole book's usage at `book_day` when one is given. The
        book is aggregated before its accounts are compared with accounts.csv (`known`, still loading):
        a file with an unknown account is refused all the same, and one with a bad cell is not aggregated."""
        events = UsageEvents(path, None, check=False)
        facts = None
        if book_day is not None and events.cells_ok:
            facts = self._aggregate(events, Scope("usage_events"), book_day)
        events.check_accounts(known.result() or None)
        return events, facts

    def _read_records(self, problems: Problems, account_id: str | None = None) -> dict[str, dict[str, list[BaseModel]]]:
        """Each record file's rows by account (only `account_id`'s when given); problems gathered."""
        records = {}
        for file in self._record_files:
            model, _ = RECORD_FILES[file]
            known = self._known if account_id is None and self._known else None
            table = load_table(self.path / file, model, known, account_id=account_id)
            if table.total:
                problems.add(DataError(table.issues, table.total))
            records[file] = group_by_account(table.records)
        return records

    def _book_records(self) -> dict[str, dict[str, list[BaseModel]]]:
        """Every record of every file, read on first need when records come on demand."""
        if self._records is None:
            problems = Problems()
            records = self._read_records(problems)
            problems.raise_if_any()
            self._records = records
        return self._records

    def _account_records(self, account_id: str) -> dict[str, list[BaseModel]]:
        if self._records is not None:
            return {file: by_account.get(account_id, []) for file, by_account in self._records.items()}
        if account_id not in self._records_of_account:
            problems = Problems()
            records = self._read_records(problems, account_id)
            problems.raise_if_any()
            self._records_of_account[account_id] = {file: rows.get(account_id, []) for file, rows in records.items()}
        return self._records_of_account[account_id]

    def _check_accounts(self, table: Table) -> None:
        """Ids are unique; every plan tier is a tier of the catalog (else prices are guesses)."""
        tiers = {t.id for t in self.catalog.tiers}
        where = "catalog.json" if (self.path / "catalog.json").is_file() else "the catalog in the settings"
        for line, account in zip(table.lines, table.records, strict=True):
            if account.account_id in self._accounts:
                table.add(
                    DataIssue(file=table.file, line=line, column="account_id", value=account.account_id,
                              message="duplicate account id")
                )  # fmt: skip
            elif account.plan_tier not in tiers:
                table.add(
                    DataIssue(file=table.file, line=line, column="plan_tier", value=account.plan_tier,
                              message=f"not a tier in {where} (tiers: {', '.join(sorted(tiers))})")
                )  # fmt: skip
            self._accounts.setdefault(account.account_id, account)
        table.issues.sort(key=lambda i: i.line or 0)

    def _load_catalog(self, problems: Problems) -> Catalog:
        file = self.path / "catalog.json"
        if not file.is_file():
            return self.rules.catalog
        try:
            return Catalog.model_validate(read_json(file))
        except DataError as exc:
            problems.add(exc)
        except ValidationError as exc:
            problems.add(DataError(pydantic_issues("catalog.json", exc)))
        return self.rules.catalog

    @property
    def arr_history(self) -> ArrHistory | None:
        """Month-end ARR (SPEC §6) when the workspace has arr_history.csv. Read on first use: only the
        portfolio needs it, and reading it up front was 0.7 s of a 10,000-account `rank`."""
        if self._arr_history is None and (self.path / ARR_HISTORY_FILE).is_file():
            self._arr_history = self._load_arr_history()
        return self._arr_history

    def check_files_read_on_use(self) -> None:
        """Reads now what is otherwise read on first use, so `sources check` reports its problems too."""
        _ = self.arr_history

    def _load_arr_history(self) -> ArrHistory:
        """Optional month-end ARR (SPEC §6). Churned accounts may be absent from accounts.csv: such a
        row needs its currency in an optional `currency` column. One row per account and month."""
        rows = read_table(self.path / ARR_HISTORY_FILE, ArrMonth)
        issues: list[DataIssue] = []
        seen: set[tuple[str, str]] = set()
        for line, row in enumerate(rows, start=2):
            if (row.account_id, row.month) in seen:
                issues.append(
                    DataIssue(
                        file=ARR_HISTORY_FILE,
                        line=line,
                        column="month",
                        value=row.month,
                        message=f"second row for account {row.account_id} in this month",
                    )
                )
            seen.add((row.account_id, row.month))
            if row.currency is None and row.account_id not in self._accounts:
                issues.append(
                    DataIssue(
                        file=ARR_HISTORY_FILE,
                        line=line,
                        column="account_id",
                        value=row.account_id,
                        message="account not in accounts.csv: give its currency in a currency column",
                    )
                )
        if issues:
            raise DataError(issues[:50], len(issues))
        return ArrHistory(months=tuple(rows))

    def _load_manifest(self, problems: Problems) -> WorkspaceManifest:
        file = self.path / "manifest.json"
        if not file.is_file():
            return WorkspaceManifest()
        try:
            return WorkspaceManifest.model_validate(read_json(file))
        except DataError as exc:
            problems.add(exc)
        except ValidationError as exc:
            problems.add(DataError(pydantic_issues("manifest.json", exc)))
        return WorkspaceManifest()

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    def first_day(self) -> date | None:
        """The first day the data say anything about: the earliest contract start. Found once, on
        loading: every call's as_of is checked against it (two scans of the book per MCP call)."""
        return self._first_day

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
        """The account with this id; spaces around it and letter case do not matter (`acc-00001`)."""
        found = self._accounts.get(account_id) or self._accounts.get(account_id.strip())
        if found is None:
            if self._folded is None:
                self._folded = {k.casefold(): a for k, a in self._accounts.items()}
            found = self._folded.get(account_id.strip().casefold())
        if found is None:
            raise UnknownAccountError(account_id, closest(account_id, self._labels()))
        return found

    def snapshot(self, account_id: str, as_of: date) -> AccountSnapshot:
        """One account; its usage comes from the last whole-book aggregate of that day when there is one
        (the same SQL, so the same facts), else from a query scoped to the account."""
        account = self.resolve(account_id)
        book = self._book_usage
        if book is not None and book[0] == as_of:
            return self._build(account, as_of, book[1])
        facts = self._usage(Scope("usage_events", account.account_id), as_of)
        return self._build(account, as_of, facts)

    def book_usage(self, as_of: date) -> dict[str, UsageFacts] | None:
        """The whole book's usage at `as_of` (None: no usage file), aggregated once and kept, so that
        `snapshot` of any account that day reads it: a book split across processes builds each
        snapshot where it is assessed, and a later single-account call needs no query. Every record
        file is read first (their problems all at once), since the book's snapshots need them."""
        self._book_records()
        book = self._book_usage
        if book is None or book[0] != as_of:
            book = self._book_usage = (as_of, self._usage(Scope("usage_events"), as_of))
        return book[1]

    def snapshots(self, as_of: date, progress: Progress | None = None) -> Iterator[AccountSnapshot]:
        facts = self.book_usage(as_of)
        total = len(self._accounts)
        for done, account in enumerate(self._accounts.values(), start=1):
            yield self._build(account, as_of, facts)
            if progress:
                progress(done, total)

    def peer_metrics(self, as_of: date) -> list[PeerMetrics]:
        """Every account's benchmark figures at `as_of`: from the day's whole-book aggregate when there
        is one, else from one activity scan (a cold `score` needs no more of the book)."""
        book = self._book_usage
        if book is not None and book[0] == as_of:
            facts = book[1]
        elif self.usage is not None:
            facts = activity_usage(self.usage.run, Scope("usage_events"), as_of, self.rules.usage)
        else:
            facts = None
        zero = no_usage(as_of, self.rules.usage)
        return [
            peer_metrics(account, None if facts is None else facts.get(account.account_id, zero))
            for account in self._accounts.values()
        ]

    def _usage(self, scope: Scope, as_of: date) -> dict[str, UsageFacts] | None:
        return None if self.usage is None else self._aggregate(self.usage, scope, as_of)

    def _aggregate(self, events: UsageEvents, scope: Scope, as_of: date) -> dict[str, UsageFacts]:
        # each statement over a whole book leaves DuckDB's threads holding what it allocated (up to
        # 1 GB at 100,000 accounts): given back after each, not kept while the small tables load beside
        run = events.run if scope.account_id is not None else events.run_and_release
        return aggregate_usage(run, scope, as_of, self.rules.usage, bit_or=True)  # DuckDB has BIT_OR

    def _build(self, account: Account, as_of: date, usage: dict[str, UsageFacts] | None) -> AccountSnapshot:
        records = self._account_records(account.account_id)

        def rows(file: str) -> tuple[BaseModel, ...]:
            return tuple(records.get(file, ()))

        return AccountSnapshot.model_validate(
            {
                "as_of": as_of,
                "account": account,
                "contacts": rows("contacts.csv"),
                "deals": rows("deals.csv"),
                "tickets": rows("tickets.csv"),
                "interactions": rows("interactions.csv"),
                "outcomes": rows("outcomes.csv"),
                "usage": None if usage is None else usage.get(account.account_id) or no_usage(as_of, self.rules.usage),
                "enrichment": self.enrichment.company(account) if self.enrichment else (),
                "missing": tuple(self.missing),
                "sources": self._sources,
            }
        )

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """Name, size and modification time of every file of the workspace: a change means reload.
        One stat a file (a server looks before every call)."""
        with os.scandir(self.path) as entries:
            files = [(entry.name, entry.stat()) for entry in entries if entry.is_file()]
        return tuple(sorted((name, stat.st_size, stat.st_mtime_ns) for name, stat in files))

    def close(self) -> None:
        if self.usage is not None:
            self.usage.close()
