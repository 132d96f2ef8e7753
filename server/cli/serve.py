"""`expansion-desk serve`: the MCP server over stdio (default) or authenticated streamable HTTP."""

from __future__ import annotations

import logging
from pathlib import Path

import click
import uvicorn

from server.cli.common import settings_for, user_errors
from server.desk import Desk
from server.mcp.auth import (
    RedactQueryStrings,
    RefuseTokenInQuery,
    StaticTokenVerifier,
    auth_settings,
    is_loopback,
    transport_security,
)
from server.mcp.server import build_server

NO_TOKEN = (
    "refusing to serve HTTP on {host} without a bearer token: set EXPANSION_DESK_HTTP_TOKEN "
    "(for example to the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
    "or bind to 127.0.0.1"
)


@click.command()
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    help="Workspace folder (default: the bundled demo).",
)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file.")
@click.option("--http", "http", is_flag=True, help="Serve streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default=None, help="HTTP bind address (default: serve.host from settings, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="HTTP port (default: serve.port, 8765).")
@click.option("--read-only", "read_only", is_flag=True, help="Offer only the tools that change nothing.")
def serve(
    workspace: Path | None, config: Path | None, http: bool, host: str | None, port: int | None, read_only: bool
) -> None:
    """Run the MCP server: stdio for Claude Desktop or Claude Code, or --http for remote clients.

    Over stdio, stdout carries the protocol and logs go to stderr. Over HTTP a bearer token from
    EXPANSION_DESK_HTTP_TOKEN is enforced whenever it is set, and required off loopback.
    """
    with user_errors():
        settings = settings_for(workspace, config)
        host = host or settings.serve.host
        port = port or settings.serve.port
        token = settings.http_token.get_secret_value() if settings.http_token else ""
        if http and not token and not is_loopback(host):
            raise click.UsageError(NO_TOKEN.format(host=host))
        desk = Desk(settings)
    if not http:
        build_server(desk, read_only=read_only).run()
        return
    verifier = StaticTokenVerifier(token) if token else None
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    server = build_server(
        desk, token_verifier=verifier, auth=auth_settings(url) if verifier else None, read_only=read_only
    )
    guard = "bearer token required" if verifier else "no token set: loopback only, unauthenticated"
    click.echo(f"expansion-desk: MCP over streamable HTTP at {url}/mcp ({guard})", err=True)
    app = server.streamable_http_app(
        transport_security=transport_security(host, port, settings.serve.allowed_origins), host=host
    )
    logging.getLogger("uvicorn.access").addFilter(RedactQueryStrings())
    uvicorn.run(RefuseTokenInQuery(app), host=host, port=port, log_level="info")


COMMANDS = (serve,)
