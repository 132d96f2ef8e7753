"""`/accounts/{id}`: one account's score, charts, evidence, gate, blockers, triggers and calendar; and the
button that drafts a proposal (POST, CSRF)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connectors.errors import UnknownAccountError
from server.calibration import current_calibration
from server.proposals import build_proposal
from server.store import StoreError
from server.web.render import page
from server.web.security import require_csrf
from server.web.state import DeskState


def not_found(request: Request, error: UnknownAccountError) -> Response:
    state: DeskState = request.app.state.desk
    matches = state.desk.find(error.account_id)
    return page(request, "not_found.html", status_code=404, account_id=error.account_id, matches=matches)


async def account_page(request: Request) -> Response:
    state: DeskState = request.app.state.desk
    account_id = request.path_params["account_id"]
    day = state.day(request.query_params.get("as_of"))
    try:
        assessment = await run_in_threadpool(state.assessment, account_id, day)
    except UnknownAccountError as exc:
        return not_found(request, exc)
    charts = await run_in_threadpool(state.charts, assessment)
    account = state.account(account_id)
    try:
        history, history_error = (await run_in_threadpool(lambda: state.store().history(account_id)))[:10], ""
    except StoreError as exc:  # the evidence still reads without the store
        history, history_error = [], str(exc)
    return page(
        request,
        "account.html",
        a=assessment,
        account=account,
        charts=charts,
        history=history,
        history_error=history_error,
        day=day,
    )


async def draft_proposal(request: Request) -> Response:
    state: DeskState = request.app.state.desk
    form = await request.form()
    require_csrf(request, form)
    account_id = request.path_params["account_id"]
    as_of = str(form.get("as_of") or "") or None

    def build() -> str:
        store = state.store()
        proposal = build_proposal(
            state.desk, account_id, as_of=as_of, calibration=current_calibration(state.desk, store)
        )
        return store.save(proposal)

    try:
        proposal_id = await run_in_threadpool(build)
    except UnknownAccountError as exc:
        return not_found(request, exc)
    return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)


ROUTES = [
    Route("/accounts/{account_id}", account_page, name="account"),
    Route("/accounts/{account_id}/proposals", draft_proposal, methods=["POST"], name="draft_proposal"),
]
NAV: list[tuple[str, str]] = []
