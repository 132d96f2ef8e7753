"""What every tool shares: the desk behind a lock-free access object, its error messages, and the
annotations and argument types the toolsets use."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from connectors.errors import DataError, SourceError, UnknownAccountError
from server.desk import Desk
from server.store import ProposalStore, StoreError, UnknownProposalError

T = TypeVar("T")
READ_ONLY = ToolAnnotations(read_only_hint=True)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)
FINAL = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False)
"""A write that cannot be taken back (a proposal marked sent or declined stays so)."""

AccountId = Annotated[
    str,
    BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v),
    Field(
        min_length=1,
        max_length=64,
        description="Account id from find_account or rank_accounts, e.g. ACC-00001 (case and spaces do not matter).",
    ),
]
AsOf = Annotated[
    str | None,
    Field(
        pattern=r"^\s*\d{4}-\d{2}-\d{2}\s*$",
        max_length=12,
        description="Evaluate at this day, YYYY-MM-DD, within the data (from the first contract start to the "
        "workspace's export day). Omit for the export day (else today).",
    ),
]


def answer(summary: str, result: BaseModel) -> CallToolResult:
    """Summary first for the model; the JSON text mirrors structured content for clients that ignore it."""
    data = result.model_dump(mode="json")
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)  # strict JSON: inputs are checked finite
    return CallToolResult(
        content=[TextContent(type="text", text=summary), TextContent(type="text", text=text)],
        structured_content=data,
    )


class DeskAccess:
    """The desk as the tools reach it, with known failures turned into messages the model can act on.

    Calls run concurrently (HTTP clients, a slow Claude draft): the data sources serialise what
    cannot be shared (the workspace's DuckDB connection) and the store's engine pools connections.
    """

    def __init__(self, desk: Desk, store: ProposalStore | None = None) -> None:
        self.desk = desk
        self._store = store
        self._opening = threading.Lock()

    def store(self) -> ProposalStore:
        """Opened on first use, so a read-only session never touches the database."""
        with self._opening:
            if self._store is None:
                self._store = ProposalStore.from_settings(self.desk.settings)
            return self._store

    def day(self, as_of: str | None) -> date:
        try:
            return self.desk.as_of(as_of)
        except ValueError as exc:
            raise ToolError(f"{exc}; pass a day such as 2026-11-23, or omit as_of for the default day.") from exc

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except UnknownAccountError as exc:
            closest = f" Closest accounts: {', '.join(exc.suggestions)}." if exc.suggestions else ""
            raise ToolError(
                f"No account with id {exc.account_id!r}.{closest} Use find_account with the company name or domain."
            ) from exc
        except SourceError as exc:
            raise ToolError(f"A data source failed: {exc}. Retry later, or check that connector's settings.") from exc
        except DataError as exc:
            raise ToolError(f"The account data cannot be used: {exc}") from exc
        except UnknownProposalError as exc:
            raise ToolError(f"{exc}; build_proposal returns the proposal_id of each saved draft.") from exc
        except StoreError as exc:
            raise ToolError(f"Proposal store: {exc}") from exc

    def run(self, work: Callable[[Desk], T]) -> T:
        with self.errors():
            return work(self.desk)

    def run_with_store(self, work: Callable[[Desk, ProposalStore], T]) -> T:
        with self.errors():
            return work(self.desk, self.store())


def strict_arguments(tool: Tool) -> Tool:
    """The tool with an argument model that refuses unknown arguments (the SDK's default drops them
    silently, so a misspelt `as_of` would score today); its input schema says additionalProperties false."""
    loose = tool.fn_metadata.arg_model
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    strict: type[BaseModel] = type(loose.__name__, (loose,), {"model_config": config})
    metadata = tool.fn_metadata.model_copy(update={"arg_model": strict})
    return tool.model_copy(update={"fn_metadata": metadata, "parameters": strict.model_json_schema(by_alias=True)})


class Toolbox:
    """Collects the toolsets' tools for the server (`tools`); in read-only mode a tool that writes is
    never registered. Every tool refuses arguments it does not declare."""

    def __init__(self, read_only: bool = False) -> None:
        self.read_only = read_only
        self.tools: list[Tool] = []

    def tool(
        self, *, title: str, annotations: ToolAnnotations, meta: dict[str, Any] | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Register a tool (`meta` becomes its `_meta`, e.g. an MCP App link); skipped in read-only mode
        unless it is annotated read-only."""

        def register(func: Callable[..., T]) -> Callable[..., T]:
            if not self.read_only or annotations.read_only_hint:
                tool = Tool.from_function(func, title=title, annotations=annotations, meta=meta)
                self.tools.append(strict_arguments(tool))
            return func

        return register
