"""MCP Apps: the ui:// resources, the tools' links to them, and charts only for hosts that render apps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from mcp import Client
from mcp.client.extension import advertise

from server.desk import Desk
from server.mcp.apps import ACCOUNT_URI, CHARTS_KEY, PROPOSAL_URI
from server.mcp.server import build_server
from server.settings import Settings
from server.store import ProposalStore
from tests.mcp_session import Session

APP_MIME = "text/html;profile=mcp-app"
UI_CAPABLE = advertise("io.modelcontextprotocol/ui", {"mimeTypes": [APP_MIME]})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = ProposalStore.from_settings(Settings(store_path=tmp_path_factory.mktemp("apps") / "p.sqlite3"))
    return build_server(Desk(Settings()), store)


def session(server: Any, **client: Any) -> Iterator[Session]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server, **client)) as c:
        yield Session(portal, c)


@pytest.fixture(scope="module")
def ui_host(server: Any) -> Iterator[Session]:
    yield from session(server, extensions=[UI_CAPABLE])


@pytest.fixture(scope="module")
def plain_host(server: Any) -> Iterator[Session]:
    yield from session(server)


@pytest.mark.parametrize("uri", [ACCOUNT_URI, PROPOSAL_URI])
def test_app_resources_are_self_contained_html_under_a_strict_csp(ui_host: Session, uri: str) -> None:
    listed = {str(r.uri): r for r in ui_host.list_resources().resources}
    assert listed[uri].mime_type == APP_MIME
    content = ui_host.read_resource(uri).contents[0]
    assert content.mime_type == APP_MIME
    csp = content.meta["ui"]["csp"]
    assert csp == {"connectDomains": [], "resourceDomains": [], "frameDomains": [], "baseUriDomains": []}
    html = content.text
    assert html.startswith("<!doctype html>") and "ui/initialize" in html and "2026-01-26" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the app loads something from the network"
    assert "fetch(" not in html


def test_score_account_and_build_proposal_link_their_apps(ui_host: Session) -> None:
    tools = {t.name: t for t in ui_host.list_tools().tools}
    assert tools["score_account"].meta["ui"] == {"resourceUri": ACCOUNT_URI}
    assert tools["build_proposal"].meta["ui"] == {"resourceUri": PROPOSAL_URI}
    assert "ui" not in (tools["record_review"].meta or {}), "record_review stays callable by model and app"


def test_hosts_with_apps_get_the_charts_and_the_same_structured_result(ui_host: Session, plain_host: Session) -> None:
    with_ui = ui_host.call_tool("score_account", {"account_id": "ACC-00001"})
    plain = plain_host.call_tool("score_account", {"account_id": "ACC-00001"})
    assert with_ui.structured_content == plain.structured_content
    assert [c.text for c in with_ui.content] == [c.text for c in plain.content]
    assert CHARTS_KEY not in (plain.meta or {})
    drawn = with_ui.meta[CHARTS_KEY]
    assert set(drawn) == {"signals", "usage", "timeline"}
    currency = with_ui.structured_content["currency"]
    for svg in drawn.values():
        assert svg.startswith("<svg") and currency in svg


def test_build_proposal_sends_its_value_chart_to_app_hosts(ui_host: Session) -> None:
    result = ui_host.call_tool("build_proposal", {"account_id": "ACC-00002", "drafter": "template"})
    assert result.structured_content["status"] == "draft"
    assert {"value", "signals"} <= set(result.meta[CHARTS_KEY])


def test_plain_hosts_get_no_charts_from_build_proposal(plain_host: Session) -> None:
    result = plain_host.call_tool("build_proposal", {"account_id": "ACC-00002", "drafter": "template"})
    assert CHARTS_KEY not in (result.meta or {})
