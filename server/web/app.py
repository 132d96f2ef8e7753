"""The review desk's Starlette app: pages from each section module, static assets, security middleware."""

from __future__ import annotations

import logging
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from connectors.errors import DataError, SourceError
from server.desk import Desk
from server.store import ProposalStore, StoreError
from server.web import accounts, backtest, book, portfolio, proposals
from server.web.render import page
from server.web.review import Reviewer
from server.web.security import SecurityMiddleware, WebSecurity, require_csrf, security
from server.web.state import DeskState

SECTIONS = (book, accounts, proposals, portfolio, backtest)  # each a module with ROUTES and NAV
log = logging.getLogger(__name__)


async def login_page(request: Request) -> Response:
    guard = security(request)
    target = request.query_params.get("next", "/")
    next_path = target if target.startswith("/") and not target.startswith("//") else "/"
    if request.method == "GET":
        return page(request, "login.html", next_path=next_path, error="", needs_token=guard.token is not None)
    form = await request.form()
    require_csrf(request, form)
    if guard.token is None:
        return RedirectResponse(next_path, status_code=303)
    if not guard.token_matches(str(form.get("token", ""))):
        return page(
            request,
            "login.html",
            status_code=401,
            next_path=next_path,
            error="That token is not right.",
            needs_token=True,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie("ed_session", guard.session_value(), httponly=True, samesite="strict")
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return page(request, "error.html", status_code=exc.status_code, title=f"Error {exc.status_code}", detail=exc.detail)


async def desk_error(request: Request, exc: Exception) -> Response:
    """Known failures (bad day, data problems, a failing source or store) as a page, never a traceback."""
    log.warning("%s %s: %s", request.method, request.url.path, exc)
    return page(request, "error.html", status_code=400, title="The desk cannot show this", detail=str(exc))


def create_app(
    desk: Desk,
    store: ProposalStore | None = None,
    *,
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The review desk over `desk`; drafts go to `store` (default: the one the settings name)."""
    routes: list[BaseRoute] = [
        Route("/login", login_page, methods=["GET", "POST"], name="login"),
        Mount("/static", StaticFiles(directory=str(resources.files("server.web") / "static")), name="static"),
    ]
    nav: list[tuple[str, str]] = []
    for section in SECTIONS:
        routes.extend(section.ROUTES)
        nav.extend(section.NAV)
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or ["127.0.0.1", "localhost", "[::1]"])]
    middleware.append(Middleware(SecurityMiddleware))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: http_error,
            ValueError: desk_error,
            DataError: desk_error,
            SourceError: desk_error,
            StoreError: desk_error,
        },
    )
    app.state.desk = DeskState(desk, store)
    app.state.reviewer = Reviewer(desk)
    app.state.security = WebSecurity(token)
    app.state.nav = nav
    return app
