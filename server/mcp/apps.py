"""MCP Apps (SEP-1865, `io.modelcontextprotocol/ui`): the account scorecard and the proposal review as
`ui://` resources that hosts render in a sandboxed iframe beside the tool result.

`score_account` and `build_proposal` point at them with `_meta.ui.resourceUri` (and the legacy flat
key older hosts read). The HTML is self-contained (inline CSS, JS and SVG) under a strict CSP: no
network, no external resources; the proposal app reaches the server only through the host's
`tools/call` (record_review). Hosts without the extension get the same text and structured result;
hosts that negotiated it also get the charts, drawn by `server.charts`, in the result's `_meta`.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Any

from mcp.server.apps import Apps, ResourceCsp, client_supports_apps
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from server import charts
from server.account_charts import account_charts
from server.desk import Desk
from skills.assessment import AccountAssessment
from skills.proposal.schema import Proposal

ACCOUNT_URI = "ui://expansion-desk/account"
PROPOSAL_URI = "ui://expansion-desk/proposal"
CHARTS_KEY = "expansion-desk/charts"
STRICT_CSP = ResourceCsp(connect_domains=[], resource_domains=[], frame_domains=[], base_uri_domains=[])


def ui_meta(uri: str) -> dict[str, Any]:
    """A tool's link to its app: the current `_meta.ui.resourceUri` and the deprecated flat key."""
    return {"ui": {"resourceUri": uri}, "ui/resourceUri": uri}


def _asset(name: str) -> str:
    return (resources.files("server.mcp") / "ui" / name).read_text(encoding="utf-8")


def app_html(app: str, title: str) -> str:
    """One self-contained document: the shared bridge and style, then the app's renderer."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_asset('style.css')}</style>\n</head>\n"
        f'<body data-app="expansion-desk-{app}">\n<p id="status" class="muted">Connecting…</p>\n<main id="app"></main>\n'
        f"<script>\n{_asset('bridge.js')}\n{_asset(app + '.js')}</script>\n</body>\n</html>\n"
    )


def build_apps() -> Apps:
    apps = Apps()
    apps.add_html_resource(
        ACCOUNT_URI,
        app_html("account", "Account scorecard"),
        name="account-app",
        title="Account scorecard",
        description="Renders score_account: the score as a chart of its signals, usage against seats, gate, "
        "blockers, triggers and the 90-day calendar.",
        csp=STRICT_CSP,
        prefers_border=True,
    )
    apps.add_html_resource(
        PROPOSAL_URI,
        app_html("proposal", "Proposal review"),
        name="proposal-app",
        title="Proposal review",
        description="Renders build_proposal: the customer summary beside the internal prep, with approve and "
        "decline buttons that call record_review.",
        csp=STRICT_CSP,
        prefers_border=True,
    )
    return apps


def _with_charts(result: CallToolResult, svgs: dict[str, str | None]) -> CallToolResult:
    meta = {**(result.meta or {}), CHARTS_KEY: {k: v for k, v in svgs.items() if v}}
    return result.model_copy(update={"meta": meta})


def with_account_charts(
    result: CallToolResult, ctx: Context | None, desk: Desk, assessment: AccountAssessment
) -> CallToolResult:
    """The result unchanged for hosts without apps; with the account's charts for hosts that render them."""
    if ctx is None or not client_supports_apps(ctx):
        return result
    drawn = account_charts(desk, assessment, desk.snapshot(assessment.account_id, assessment.as_of))
    return _with_charts(result, {"signals": drawn.signals, "usage": drawn.usage, "timeline": drawn.timeline})


def with_proposal_charts(result: CallToolResult, ctx: Context | None, proposal: Proposal) -> CallToolResult:
    if ctx is None or not client_supports_apps(ctx):
        return result
    return _with_charts(
        result,
        {
            "value": charts.value_chart(proposal.current_arr, proposal.proposed_expansion_value, proposal.currency),
            "signals": charts.signals_chart(proposal.signals, proposal.score, proposal.currency, proposal.current_arr),
        },
    )
