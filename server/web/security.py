"""Who may open the review desk, and how its forms are protected.

- Loopback binds need no token; any other address needs EXPANSION_DESK_HTTP_TOKEN (as `serve --http`).
  With a token set, every request needs it: an `Authorization: Bearer` header (scripts), or the
  session cookie the login form sets after checking the token (browsers). The cookie holds an HMAC,
  never the token, and lives as long as the process.
- Host header checks stop DNS-rebinding pages from reaching a loopback desk.
- CSRF: every form and every state-changing fetch carries a token derived from a per-browser cookie
  with a per-process key; POST handlers call `require_csrf`. The cookies are SameSite=Strict.
- Responses carry a strict Content-Security-Policy (scripts from the desk only, no inline script),
  no framing, no referrer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.mcp.auth import WILDCARD_HOSTS, is_loopback

SESSION_COOKIE = "ed_session"
CSRF_COOKIE = "ed_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
OPEN_PATHS = ("/login", "/static/")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def allowed_hosts(host: str) -> list[str]:
    """Host header values that reach the bound address (names without the port)."""
    names = {host} - set(WILDCARD_HOSTS)
    if is_loopback(host) or host in WILDCARD_HOSTS:
        names |= {"127.0.0.1", "localhost", "::1", "[::1]"}
    if host in WILDCARD_HOSTS:
        names |= {socket.gethostname(), socket.getfqdn()}
    return sorted(names)


class WebSecurity:
    def __init__(self, token: str | None, key: bytes | None = None) -> None:
        self.token = token or None
        self._key = key or secrets.token_bytes(32)

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def session_value(self) -> str:
        assert self.token is not None
        return self._sign("session", hashlib.sha256(self.token.encode()).hexdigest())

    def token_matches(self, offered: str) -> bool:
        return self.token is not None and hmac.compare_digest(offered.encode(), self.token.encode())

    def authenticated(self, request: Request) -> bool:
        if self.token is None:
            return True
        scheme, _, offered = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(offered.strip()):
            return True
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie, self.session_value())

    def csrf_token(self, request: Request) -> str:
        return self._sign("csrf", browser_id(request))

    def check_csrf(self, request: Request, form: Mapping[str, object] | None = None) -> bool:
        offered = request.headers.get(CSRF_HEADER) or str((form or {}).get(CSRF_FIELD, ""))
        cookie = request.cookies.get(CSRF_COOKIE)
        return bool(offered and cookie) and hmac.compare_digest(offered, self._sign("csrf", str(cookie)))


def browser_id(request: Request) -> str:
    """The CSRF cookie's value, or the fresh one the middleware sets on this response."""
    return str(
        request.cookies.get(CSRF_COOKIE) or request.scope.setdefault("ed_new_browser_id", secrets.token_urlsafe(24))
    )


def security(request: Request) -> WebSecurity:
    found: WebSecurity = request.app.state.security
    return found


def require_csrf(request: Request, form: Mapping[str, object] | None = None) -> None:
    if not security(request).check_csrf(request, form):
        raise HTTPException(403, "This form has expired or did not come from the desk: reload the page and try again.")


class SecurityMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        guard = security(request)
        path = request.url.path
        if not guard.authenticated(request) and not path.startswith(OPEN_PATHS):
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                response: Response = RedirectResponse(f"/login?next={quote(path)}", status_code=303)
            else:
                response = Response("bearer token required", status_code=401, headers={"www-authenticate": "Bearer"})
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        fresh = request.scope.get("ed_new_browser_id")
        if fresh and CSRF_COOKIE not in request.cookies:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict")
        return response
