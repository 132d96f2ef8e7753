"""`expansion-desk web`: the review desk in a browser (Starlette over uvicorn)."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from server.cli.common import settings_for, user_errors
from server.desk import Desk
from server.mcp.auth import is_loopback

NO_TOKEN = (
    "refusing to serve the review desk on {host} without a token: set EXPANSION_DESK_HTTP_TOKEN "
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
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True, help="Port.")
def web(workspace: Path | None, config: Path | None, host: str, port: int) -> None:
    """Serve the review desk: the book, account pages with charts, and the proposal review queue.

    On loopback no token is needed. Any other address needs EXPANSION_DESK_HTTP_TOKEN: browsers sign in
    with it once, scripts send it as a bearer token. Every form is CSRF-protected.
    """
    import uvicorn

    from server.web.app import create_app
    from server.web.security import allowed_hosts

    with user_errors():
        settings = settings_for(workspace, config)
        token = settings.http_token.get_secret_value() if settings.http_token else ""
        if not token and not is_loopback(host):
            raise click.UsageError(NO_TOKEN.format(host=host))
        desk = Desk(settings)
    app = create_app(desk, token=token or None, allowed_hosts=allowed_hosts(host))
    threading.Thread(target=app.state.desk.warm, name="rank-book", daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    guard = "token required" if token else "loopback only, no token"
    click.echo(f"expansion-desk: review desk at http://{shown}:{port}/ ({guard})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True, server_header=False)


COMMANDS = (web,)
