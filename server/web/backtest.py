"""`/backtest`: the latest backtest stored for exactly the current inputs (SPEC §5): base rate, AUC
against the two baselines, each tier's rate with its Wilson interval and lift, each signal's precision,
recall and lift, and the lift chart. A backtest replays the whole book at many points, so the page
never runs one: without a stored result it says how to run `expansion-desk backtest`."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.calibration import DEFAULT_HORIZON_DAYS
from server.web.render import page
from server.web.state import DeskState


async def backtest_page(request: Request) -> Response:
    state: DeskState = request.app.state.desk
    calibration = await run_in_threadpool(state.calibration)
    report = calibration.report
    chart = None if report is None else await run_in_threadpool(state.lift_chart, report)
    return page(
        request,
        "backtest.html",
        report=report,
        chart=chart,
        horizon_days=DEFAULT_HORIZON_DAYS,
        workspace=state.desk.settings.workspace,
    )


ROUTES = [Route("/backtest", backtest_page, name="backtest")]
NAV = [("/backtest", "Backtest")]
