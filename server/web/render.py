"""Templates (jinja2, autoescaped everywhere: account names, notes and drafts are untrusted) and the
shared page context."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.charts import money
from server.web.security import CSRF_FIELD, security

env = Environment(
    loader=PackageLoader("server.web", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["money"] = money
env.filters["pct"] = lambda v: "—" if v is None else f"{v:.0%}"
env.filters["label"] = lambda v: str(v).replace("_", " ")


def svg(document: str | None) -> Markup:
    """A chart from `server.charts`: SVG the desk drew itself, with every label escaped by matplotlib."""
    return Markup(document or "")


env.globals["svg"] = svg


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    guard = security(request)
    html = env.get_template(template).render(
        request=request,
        nav=request.app.state.nav,
        csrf_field=CSRF_FIELD,
        csrf_token=guard.csrf_token(request),
        signed_in=guard.token is not None,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
