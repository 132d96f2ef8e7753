"""Who may reach `serve --http`: one bearer token from the environment, and Host/Origin checks.

A static shared secret suits a CS team's internal deployment; it is compared in constant time and
never logged. Host/Origin checks stop DNS-rebinding pages in a browser from driving a local server.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings

CLIENT_ID = "expansion-desk-http"
WILDCARD_HOSTS = ("0.0.0.0", "::")
TOKEN_PARAMETERS = frozenset(
    {"access_token", "token", "bearer", "auth", "authorization", "api_key", "apikey", "key", "http_token", "secret"}
)
TOKEN_IN_URL = (
    b"a credential in the URL is refused: it would be kept in logs and browser history; "
    b"send it as an Authorization: Bearer header"
)


class StaticTokenVerifier(TokenVerifier):
    """Accepts exactly the configured token; anything else gets the SDK's 401."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("an empty bearer token would accept anyone")
        self._expected = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._expected):
            return AccessToken(token=token, client_id=CLIENT_ID, scopes=[])
        return None


def auth_settings(base_url: str) -> AuthSettings:
    """Resource-server settings for a static token: no OAuth issuer, so no metadata routes are served."""
    return AuthSettings(issuer_url=base_url, resource_server_url=None)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_security(host: str, port: int, origins: Sequence[str]) -> TransportSecuritySettings:
    """Allow the Host names that reach the bound address, and Origins from settings plus our own."""
    names = {host} - set(WILDCARD_HOSTS)
    if is_loopback(host) or host in WILDCARD_HOSTS:
        names |= {"127.0.0.1", "localhost", "::1"}
    if host in WILDCARD_HOSTS:
        names |= {socket.gethostname(), socket.getfqdn()}
    hosts = sorted(f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[*origins, *(f"http://{h}" for h in hosts)],
    )


def token_in_query(query: bytes) -> bool:
    """Whether a query string carries a parameter that looks like a credential."""
    text = query.decode("latin-1")
    return any(name.lower() in TOKEN_PARAMETERS for name, _ in parse_qsl(text, keep_blank_values=True))


class RefuseTokenInQuery:
    """ASGI middleware: a request with a credential in its query string gets 400 before any other
    handling (the token is never compared, so a right token in the URL is not accepted either)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and token_in_query(scope.get("query_string", b"")):
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "http.response.start", "status": 400, "headers": headers})
            await send({"type": "http.response.body", "body": TOKEN_IN_URL})
            return
        await self.app(scope, receive, send)


class RedactQueryStrings(logging.Filter):
    """Keeps query strings out of the access log (uvicorn logs the full path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?[redacted]", *args[3:])
        return True
