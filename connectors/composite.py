"""One SnapshotSource over several sources, chosen per data kind by `ConnectorsConfig.sources`.

The CRM source lists and resolves accounts; every other kind comes from its own source. A kind whose
source fails (after the HTTP retries) is listed in `AccountSnapshot.missing` with the source's own
error, and its records stay empty (usage None): calculators then report it unknown, never guessed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from connectors.cache import TtlCache
from connectors.config import DATA_KINDS, EVIDENCE, ConnectorsConfig, DataKind, EnrichmentSource, SourceName
from connectors.enrichment.base import EnrichmentProvider, enrich
from connectors.enrichment.pdl import PeopleDataLabs
from connectors.errors import SourceError, UnknownAccountError
from connectors.gong import Gong
from connectors.http import Sleep
from connectors.hubspot import HubSpot
from connectors.salesforce import Salesforce
from connectors.source import Progress
from connectors.warehouse import Warehouse
from connectors.workspace import Workspace
from connectors.zendesk import Zendesk
from skills.rules import Rules
from skills.snapshot import Account, AccountSnapshot, Contact, EnrichmentRecord, MissingEvidence, Source, UsageFacts
from skills.usage.aggregate import no_usage

KIND_FIELDS: dict[DataKind, tuple[str, ...]] = {
    "crm": ("contacts", "deals"),
    "usage": ("usage",),
    "tickets": ("tickets",),
    "conversations": ("interactions",),
    "outcomes": ("outcomes",),
}


class WorkspaceAccounts:
    """The workspace in the role of a connector: its account list and a cheap check."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.name = f"workspace:{workspace.path.name}"

    def accounts(self) -> list[Account]:
        return self.workspace.accounts()

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        return self.workspace.find_accounts(query, limit)

    def account(self, account_id: str) -> Account:
        return self.workspace.resolve(account_id)

    def check(self) -> str:
        return f"{len(self.workspace.accounts())} accounts in {self.workspace.path}"

    def close(self) -> None:
        """The caller opened the workspace and closes it."""


Connector = HubSpot | Salesforce | Zendesk | Warehouse | Gong | WorkspaceAccounts
Directory = HubSpot | Salesforce | WorkspaceAccounts


def connect(
    name: SourceName,
    config: ConnectorsConfig,
    rules: Rules,
    workspace: Workspace | None,
    *,
    environ: Mapping[str, str] = os.environ,
    sleep: Sleep = time.sleep,
) -> Connector:
    """The connector for source `name`; SourceError when its config, credential or workspace is absent."""
    if name == "workspace" and workspace is not None:
        return WorkspaceAccounts(workspace)
    if name == "hubspot":
        return HubSpot(config.hubspot, config.http, environ=environ, sleep=sleep)
    if name == "salesforce" and config.salesforce is not None:
        return Salesforce(config.salesforce, config.http, environ=environ, sleep=sleep)
    if name == "zendesk" and config.zendesk is not None:
        return Zendesk(config.zendesk, config.http, environ=environ, sleep=sleep)
    if name == "warehouse" and config.warehouse is not None:
        return Warehouse(config.warehouse, rules.usage, environ=environ)
    if name == "gong":
        return Gong(config.gong, config.http, environ=environ, sleep=sleep, window_ttl_s=config.cache.ttl_seconds)
    if name == "workspace":
        raise SourceError(
            name,
            "no workspace folder given, so these data kinds have no source: set --workspace or "
            "EXPANSION_DESK_WORKSPACE, or assign them to another source in [connectors.sources] "
            "(the bundled demo is used only when nothing is configured)",
        )
    raise SourceError(name, "not configured")


@dataclass(frozen=True)
class _Prefetch:
    """Read before assembling: workspace snapshots, and for a whole book its warehouse usage or why it failed."""

    workspace: Mapping[str, AccountSnapshot] = field(default_factory=dict)
    usage: Mapping[str, UsageFacts] | None = None
    failed: Mapping[DataKind, str] = field(default_factory=dict)


Reader = Callable[[Account, date, _Prefetch], dict[str, Any]]


def _from_workspace(kind: DataKind, account: Account, pre: _Prefetch) -> dict[str, Any]:
    snap = pre.workspace.get(account.account_id)
    if snap is None:
        raise SourceError("workspace", f"account {account.account_id} is not in the workspace's accounts.csv")
    if gap := next((m.reason for m in snap.missing if m.kind == EVIDENCE[kind]), None):
        raise SourceError("workspace", gap)
    return {name: getattr(snap, name) for name in KIND_FIELDS[kind]}


class CompositeSource:
    """SnapshotSource whose kinds come from different sources; complete snapshots are cached per TTL."""

    name = "composite"

    def __init__(
        self,
        config: ConnectorsConfig,
        rules: Rules,
        workspace: Workspace | None = None,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.rules = rules
        self.workspace = workspace
        self.catalog = workspace.catalog if workspace else rules.catalog
        self.default_as_of = workspace.default_as_of if workspace and config.sources.crm == "workspace" else None
        self._cache: TtlCache[tuple[str, date], AccountSnapshot] = TtlCache(
            config.cache.ttl_seconds, config.cache.max_accounts, clock
        )
        self._connectors: dict[SourceName, Connector] = {}
        self._readers: dict[DataKind, tuple[str, Reader]] = {}
        self._broken: dict[DataKind, str] = {}
        for name, kinds in config.sources.by_source().items():
            try:
                connector = self._connectors[name] = connect(
                    name, config, rules, workspace, environ=environ, sleep=sleep
                )
            except SourceError as exc:
                if "crm" in kinds:
                    raise
                self._broken.update(dict.fromkeys(kinds, str(exc)))
                continue
            self._readers.update({kind: (connector.name, self._reader(kind, connector)) for kind in kinds})
        self._enrichment, self._enrichment_broken = open_enrichment(config, environ=environ, sleep=sleep)
        directory = self._connectors[config.sources.crm]
        if not isinstance(directory, HubSpot | Salesforce | WorkspaceAccounts):
            raise TypeError(f"{directory.name} cannot list accounts")  # SourcesConfig already rules this out
        self._directory: Directory = directory

    def accounts(self) -> list[Account]:
        return self._directory.accounts()

    def first_day(self) -> date | None:
        """The workspace's first day when the workspace lists the accounts; unknown otherwise."""
        return self.workspace.first_day() if self.workspace and self.config.sources.crm == "workspace" else None

    def find_accounts(self, query: str, limit: int = 5) -> list[Account]:
        return self._directory.find_accounts(query, limit)

    def snapshot(self, account_id: str, as_of: date) -> AccountSnapshot:
        cached = self._cache.get((account_id, as_of))
        if cached is not None:
            return cached
        account = self._directory.account(account_id)
        return self._assemble(account, as_of, _Prefetch(workspace=self._workspace_snapshots(as_of, account.account_id)))

    def snapshots(self, as_of: date, progress: Progress | None = None) -> Iterator[AccountSnapshot]:
        """Every account; workspace and warehouse usage are read once for the book, APIs in parallel."""
        accounts = self._directory.accounts()
        pre = self._book_prefetch(as_of)
        pool = ThreadPoolExecutor(max_workers=self.config.http.max_concurrency)
        try:
            for done, snap in enumerate(pool.map(lambda a: self._assemble(a, as_of, pre), accounts), start=1):
                yield snap
                if progress:
                    progress(done, len(accounts))
        finally:
            pool.shutdown(cancel_futures=True)

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        if self._enrichment is not None:
            self._enrichment.close()

    def _reader(self, kind: DataKind, connector: Connector) -> Reader:
        if isinstance(connector, WorkspaceAccounts):
            return lambda account, as_of, pre: _from_workspace(kind, account, pre)
        if kind == "crm" and isinstance(connector, HubSpot | Salesforce):
            return lambda account, as_of, pre: {
                "contacts": connector.contacts(account),
                "deals": connector.deals(account),
            }
        if kind == "tickets" and isinstance(connector, HubSpot | Salesforce | Zendesk):
            return lambda account, as_of, pre: {"tickets": connector.tickets(account)}
        if kind == "conversations" and isinstance(connector, Gong):
            return lambda account, as_of, pre: {"interactions": connector.interactions(account, as_of)}
        if kind == "usage" and isinstance(connector, Warehouse):
            return lambda account, as_of, pre: {"usage": self._usage(connector, account, as_of, pre)}
        raise TypeError(f"{connector.name} cannot serve {kind}")  # SourcesConfig already rules this out

    def _usage(self, warehouse: Warehouse, account: Account, as_of: date, pre: _Prefetch) -> UsageFacts:
        facts = pre.usage if pre.usage is not None else warehouse.usage(account.account_id, as_of)
        return facts.get(account.account_id) or no_usage(as_of, self.rules.usage)

    def _workspace_snapshots(self, as_of: date, account_id: str | None = None) -> dict[str, AccountSnapshot]:
        if self.workspace is None or "workspace" not in self._connectors:
            return {}
        if account_id is None:
            return {s.account_id: s for s in self.workspace.snapshots(as_of)}
        try:
            return {account_id: self.workspace.snapshot(account_id, as_of)}
        except UnknownAccountError:
            return {}

    def _book_prefetch(self, as_of: date) -> _Prefetch:
        workspace = self._workspace_snapshots(as_of)
        warehouse = self._connectors.get(self.config.sources.usage)
        if not isinstance(warehouse, Warehouse):
            return _Prefetch(workspace=workspace)
        try:
            return _Prefetch(workspace=workspace, usage=warehouse.usage(None, as_of))
        except SourceError as exc:
            return _Prefetch(workspace=workspace, failed={"usage": str(exc)})

    def _assemble(self, account: Account, as_of: date, pre: _Prefetch) -> AccountSnapshot:
        parts: dict[str, Any] = {}
        missing: list[MissingEvidence] = []
        sources: dict[str, str] = {}
        for kind in DATA_KINDS:
            reason = pre.failed.get(kind) or self._broken.get(kind)
            if reason is None:
                label, read = self._readers[kind]
                try:
                    parts.update(read(account, as_of, pre))
                    sources[EVIDENCE[kind].value] = label
                    continue
                except SourceError as exc:
                    reason = str(exc)
            missing.append(MissingEvidence(kind=EVIDENCE[kind], reason=reason))
        enriched, gap = self._enrich(account, parts.get("contacts", ()), pre)
        if gap is not None:
            missing.append(MissingEvidence(kind=Source.enrichment, reason=gap))
        elif enriched:
            sources[Source.enrichment.value] = self._enrichment.name if self._enrichment else "workspace"
        snap = AccountSnapshot(
            as_of=as_of, account=account, enrichment=enriched, missing=tuple(missing), sources=sources, **parts
        )
        if not missing:
            self._cache.put((account.account_id, as_of), snap)
        return snap

    def _enrich(
        self, account: Account, contacts: tuple[Contact, ...], pre: _Prefetch
    ) -> tuple[tuple[EnrichmentRecord, ...], str | None]:
        """(records, None), or ((), why) when the configured provider failed: enrichment is then missing."""
        if self._enrichment_broken is not None:
            return (), self._enrichment_broken
        if self._enrichment is None:
            snap = pre.workspace.get(account.account_id)
            return (snap.enrichment if snap else ()), None
        try:
            return enrich(self._enrichment, account, contacts), None
        except SourceError as exc:
            return (), str(exc)


def open_enrichment(
    config: ConnectorsConfig, *, environ: Mapping[str, str] = os.environ, sleep: Sleep = time.sleep
) -> tuple[EnrichmentProvider | None, str | None]:
    """The API provider and None, or None and why it cannot start; (None, None) for the workspace or none."""
    if config.enrichment.source != "pdl":
        return None, None
    try:
        return PeopleDataLabs(config.enrichment.pdl, config.http, environ=environ, sleep=sleep), None
    except SourceError as exc:
        return None, str(exc)


class SourceCheck(BaseModel):
    source: SourceName | EnrichmentSource
    kinds: tuple[DataKind | Literal["enrichment"], ...]
    ok: bool
    detail: str


def check_sources(
    config: ConnectorsConfig,
    rules: Rules,
    workspace: Workspace | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    sleep: Sleep = time.sleep,
) -> list[SourceCheck]:
    """One cheap call per configured source; every failure becomes a report line, never an exception."""
    results = []
    for name, kinds in config.sources.by_source().items():
        try:
            connector = connect(name, config, rules, workspace, environ=environ, sleep=sleep)
            try:
                detail, ok = connector.check(), True
            finally:
                connector.close()
        except Exception as exc:  # a check reports whatever went wrong, including bugs, as text
            detail, ok = f"{exc}" or type(exc).__name__, False
        results.append(SourceCheck(source=name, kinds=kinds, ok=ok, detail=detail))
    enrichment = _check_enrichment(config, workspace, environ=environ, sleep=sleep)
    return results + ([enrichment] if enrichment else [])


def _check_enrichment(
    config: ConnectorsConfig, workspace: Workspace | None, *, environ: Mapping[str, str], sleep: Sleep
) -> SourceCheck | None:
    """The enrichment provider's line: PDL with one unbilled call, a workspace export when there is one."""
    source = config.enrichment.source
    if source == "workspace":
        export = workspace.enrichment if workspace else None
        return (
            None
            if export is None
            else SourceCheck(source=source, kinds=("enrichment",), ok=True, detail=export.check())
        )
    if source == "none":
        return None
    provider, broken = open_enrichment(config, environ=environ, sleep=sleep)
    if provider is None:
        return SourceCheck(source=source, kinds=("enrichment",), ok=False, detail=broken or "not configured")
    try:
        detail, ok = provider.check(), True
    except Exception as exc:  # reported as text like every other source
        detail, ok = f"{exc}" or type(exc).__name__, False
    finally:
        provider.close()
    return SourceCheck(source=source, kinds=("enrichment",), ok=ok, detail=detail)
