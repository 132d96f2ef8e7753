"""`serve --http`: a subprocess on a free loopback port, reached with the SDK's streamable HTTP
client. The bearer token is enforced, foreign Host headers are refused, and the server will not
start off loopback without a token."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from anyio.from_thread import start_blocking_portal
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

from server.desk import Desk
from server.settings import Settings
from tests.mcp_session import CRM_TOOLS, READ_TOOLS, SAVING_TOOLS, Session, sample_calls, serve_command

TOKEN = "test-token-5f1c9a"
TOKEN_ENV = "EXPANSION_DESK_HTTP_TOKEN"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_listening(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            httpx2.post(url, json={}, timeout=1.0)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"server not listening after {timeout}s:\n{log.read_text()}")


@contextmanager
def http_session(url: str, token: str) -> Iterator[Session]:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(httpx2.AsyncClient(headers=headers, timeout=30.0)) as http,
        portal.wrap_async_context_manager(Client(streamable_http_client(url, http_client=http))) as client,
    ):
        yield Session(portal, client)


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("http") / "server.log"


@pytest.fixture(scope="module")
def url(server_log: Path) -> Iterator[str]:
    tmp = server_log.parent
    port = free_port()
    command, args, env = serve_command(tmp, "--http", "--host", "127.0.0.1", "--port", str(port))
    log = server_log
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [command, *args], env={**env, TOKEN_ENV: TOKEN}, cwd=tmp, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            endpoint = f"http://127.0.0.1:{port}/mcp"
            wait_until_listening(endpoint, process, log)
            yield endpoint
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def mcp(url: str) -> Iterator[Session]:
    with http_session(url, TOKEN) as session:
        yield session


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Settings())


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"}])
def test_missing_or_wrong_token_is_401(url: str, headers: dict[str, str]) -> None:
    response = httpx2.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_sdk_client_with_a_wrong_token_cannot_connect(url: str) -> None:
    with pytest.RaisesGroup(MCPError, flatten_subgroups=True), http_session(url, "wrong"):
        pass


def test_foreign_host_header_is_refused(url: str) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": "attacker.example"}
    assert httpx2.post(url, json=INITIALIZE, headers=headers).status_code == 421


def test_tools_answer_over_http(mcp: Session, desk: Desk) -> None:
    tools = {t.name: t for t in mcp.list_tools().tools}
    assert set(tools) == READ_TOOLS | SAVING_TOOLS | CRM_TOOLS
    assert all(tool.output_schema for tool in tools.values())
    calls = sample_calls(desk)
    for name, arguments in calls.items():
        result = mcp.call_tool(name, arguments)
        assert not result.is_error and result.structured_content, name
    account_id = calls["score_account"]["account_id"]
    score = mcp.call_tool("score_account", {"account_id": account_id}).structured_content["score"]
    assert score == desk.assess(account_id).score


def test_resources_and_prompts_over_http(mcp: Session) -> None:
    assert "# Expansion proposal builder" in mcp.read_resource("skill://proposal").contents[0].text
    prompt = mcp.get_prompt("prepare_discovery_call", {"account": "Acme Analytics"})
    assert "find_account" in prompt.messages[0].content.text


def test_refuses_to_serve_off_loopback_without_a_token(tmp_path: Path) -> None:
    command, args, env = serve_command(tmp_path, "--http", "--host", "0.0.0.0", "--port", str(free_port()))
    done = subprocess.run([command, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert TOKEN_ENV in done.stderr and "0.0.0.0" in done.stderr


@pytest.mark.parametrize("query", ["access_token", "token", "api_key"])
def test_token_in_query_string_is_refused_and_never_logged(url: str, server_log: Path, query: str) -> None:
    secret = f"{TOKEN}-in-url-{query}"
    response = httpx2.post(f"{url}?{query}={secret}", json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 400 and "Authorization" in response.text
    with_header = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    assert httpx2.post(f"{url}?{query}={TOKEN}", json=INITIALIZE, headers=with_header).status_code == 400
    time.sleep(0.2)
    log = server_log.read_text()
    assert "POST /mcp?[redacted]" in log and secret not in log and f"={TOKEN}" not in log
