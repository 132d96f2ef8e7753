"""Helpers shared by the MCP tests: a synchronous session over the SDK client, the tool sets, sample calls."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client

from server.desk import Desk

READ_TOOLS = {
    "find_account",
    "rank_accounts",
    "score_account",
    "pull_crm",
    "pull_usage",
    "what_changed",
    "portfolio_summary",
    "list_proposals",
    "get_proposal",
}
SAVING_TOOLS = {"build_proposal", "record_review"}
CRM_TOOLS = {"push_to_crm"}  # writes outside the desk: the CRM
SKILL_FOLDERS = ("proposal", "discovery", "playbook", "renewal", "usage")
PROMPTS = {"build_expansion_proposal", "prepare_discovery_call", "run_expansion_playbook", "plan_renewal_expansion"}


class Session:
    """A connected client on a background event loop: sync tests call `session.call_tool(...)`."""

    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self._portal = portal
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._portal.call(functools.partial(attr, *args, **kwargs))


@contextmanager
def connected(server: Any) -> Iterator[Session]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:
        yield Session(portal, client)


def serve_command(tmp: Path, *args: str) -> tuple[str, list[str], dict[str, str]]:
    """`python -m server.cli serve` (independent of the console script) in an empty folder and a
    minimal environment, so no local config or EXPANSION_DESK_* variable leaks in."""
    env = {"HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "PYTHONUNBUFFERED": "1"}
    return sys.executable, ["-m", "server.cli", "serve", *args], env


def sample_calls(desk: Desk) -> dict[str, dict[str, Any]]:
    """One valid call per tool but record_review and get_proposal (which need a draft), on the demo's best-ranked account."""
    top = desk.rank(limit=1)[0]
    return {
        "find_account": {"query": top.name},
        "rank_accounts": {"limit": 5},
        "score_account": {"account_id": top.account_id},
        "pull_crm": {"account_id": top.account_id},
        "pull_usage": {"account_id": top.account_id},
        "build_proposal": {"account_id": top.account_id, "drafter": "template"},
        "what_changed": {},
        "portfolio_summary": {},
        "list_proposals": {},
    }
