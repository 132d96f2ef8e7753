"""Who may reach `serve --http`: one bearer token from the environment, and Host/Origin checks.

A static shared secret suits a CS team's internal deployment; it is compared in constant time and
never logged. Host/Origin checks stop DNS-rebinding pages in a browser from driving a local server.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Sequence

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings

CLIENT_ID = "expansion-desk-http"
WILDCARD_HOSTS = ("0.0.0.0", "::")


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
