"""`/portfolio`: the book as a whole (SPEC §6): NRR and GRR (or why they are unknown), the pipeline of
actionable accounts per tier with its calibrated rate, the weighted forecast, a row per CSM, and the
pipeline value by tier as a chart. The figures are `server.portfolio.portfolio`, as the CLI and MCP show."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.charts import pipeline_chart
from server.web.render import page
from server.web.state import DeskState
from skills.portfolio import PortfolioSummary


def chart_values(summary: PortfolioSummary) -> list[tuple[str, dict[str, float]]]:
    """Each tier's pipeline value: in the base currency when fx covers every tier, else per currency."""
    base = summary.base_currency
    if base is not None and all(p.value_base is not None for p in summary.pipeline.values()):
        return [(tier, {base: p.value_base or 0.0}) for tier, p in summary.pipeline.items()]
    return [(tier, dict(p.value)) for tier, p in summary.pipeline.items()]


async def portfolio_page(request: Request) -> Response:
    state: DeskState = request.app.state.desk
    day = state.day(request.query_params.get("as_of"))
    calibration = await run_in_threadpool(state.calibration)
    summary = await run_in_threadpool(state.portfolio, day, calibration)
    chart = await run_in_threadpool(pipeline_chart, chart_values(summary), day)
    return page(request, "portfolio.html", day=day, p=summary, chart=chart)


ROUTES = [Route("/portfolio", portfolio_page, name="portfolio")]
NAV = [("/portfolio", "Portfolio")]
