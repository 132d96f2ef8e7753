"""`/proposals`: the review queue; `/proposals/{id}`: internal prep beside the editable customer summary,
re-checked on every edit; approve, decline or mark sent with a note; export as Markdown or `.eml`."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from server import charts
from server.proposals import record_review
from server.store import ProposalStatus, ReviewError, StoredProposal, UnknownProposalError
from server.web.exports import eml_export, markdown_export
from server.web.render import page
from server.web.review import SUMMARY_FIELDS, Reviewer, edited_summary
from server.web.security import require_csrf
from server.web.state import DeskState
from skills.proposal.checks import CheckFailure
from skills.proposal.schema import CustomerSummary

STATUSES: tuple[ProposalStatus, ...] = ("draft", "approved", "sent", "declined")


def _state(request: Request) -> DeskState:
    found: DeskState = request.app.state.desk
    return found


def _reviewer(request: Request) -> Reviewer:
    found: Reviewer = request.app.state.reviewer
    return found


async def _stored(request: Request) -> StoredProposal:
    try:
        return await run_in_threadpool(_state(request).store().get, request.path_params["proposal_id"])
    except UnknownProposalError as exc:
        raise HTTPException(404, str(exc)) from exc


async def queue_page(request: Request) -> Response:
    state = _state(request)
    status = request.query_params.get("status", "draft")
    chosen = next((s for s in STATUSES if s == status), None)

    def load() -> list[StoredProposal]:
        store = state.store()
        return [store.get(r.id) for r in store.records(chosen, limit=100)]

    rows = await run_in_threadpool(load)
    accounts = {s.record.account_id: state.account(s.record.account_id) for s in rows}
    return page(request, "proposals.html", rows=rows, accounts=accounts, status=chosen or "all", statuses=STATUSES)


def _review_page(
    request: Request,
    stored: StoredProposal,
    *,
    summary: CustomerSummary | None = None,
    failures: tuple[CheckFailure, ...] = (),
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    p = stored.proposal
    state = _state(request)
    return page(
        request,
        "proposal.html",
        status_code=status_code,
        s=stored,
        p=p,
        account=state.account(p.account_id),
        summary=summary or p.customer_summary,
        saved=p.customer_summary,
        fields=SUMMARY_FIELDS,
        failures=failures,
        failures_by_field=_by_field(failures),
        message=message or request.query_params.get("message", ""),
        error=error,
        value_chart=charts.value_chart(p.current_arr, p.proposed_expansion_value, p.currency),
        signals_chart=charts.signals_chart(p.signals, p.score, p.currency, p.current_arr),
    )


def _by_field(failures: tuple[CheckFailure, ...]) -> dict[str, list[CheckFailure]]:
    found: dict[str, list[CheckFailure]] = {}
    for f in failures:
        field = f.field.removeprefix("customer_summary.")
        found.setdefault(field if field in SUMMARY_FIELDS else "_other", []).append(f)
    return found


async def review_page(request: Request) -> Response:
    return _review_page(request, await _stored(request))


async def _checked(
    request: Request, stored: StoredProposal, fields: Any
) -> tuple[CustomerSummary, tuple[CheckFailure, ...]]:
    summary = edited_summary(stored.proposal, fields)
    result = await run_in_threadpool(_reviewer(request).check, stored.record.id, stored.proposal, summary)
    return summary, result.failures


async def edit_summary(request: Request) -> Response:
    """Check the edited customer summary; save it only when every check passes (and only a draft)."""
    form = await request.form()
    require_csrf(request, form)
    stored = await _stored(request)
    summary, failures = await _checked(request, stored, form)
    if form.get("intent") != "save":
        message = "" if failures else "Every check passes. Save to keep this text."
        return _review_page(request, stored, summary=summary, failures=failures, message=message)
    if failures:
        error = "Not saved: the customer summary fails the checks below."
        return _review_page(request, stored, summary=summary, failures=failures, error=error, status_code=422)
    try:
        revised = _reviewer(request).revised(stored.proposal, summary)
        await run_in_threadpool(_state(request).store().revise, stored.record.id, revised)
    except ReviewError as exc:
        return _review_page(request, stored, summary=summary, error=str(exc), status_code=409)
    return RedirectResponse(f"/proposals/{stored.record.id}?message=Customer+summary+saved.", status_code=303)


async def check_summary(request: Request) -> Response:
    """The same checks for the page's script, as JSON: {ok, failures: [{field, name, detail}]}."""
    require_csrf(request)
    stored = await _stored(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "expected a JSON object of customer summary fields") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "expected a JSON object of customer summary fields")
    _, failures = await _checked(request, stored, body)
    return JSONResponse(
        {
            "ok": not failures,
            "failures": [
                {"field": f.field.removeprefix("customer_summary."), "name": f.name, "detail": f.detail}
                for f in failures
            ],
        }
    )


async def review_action(request: Request) -> Response:
    form = await request.form()
    require_csrf(request, form)
    stored = await _stored(request)
    action, note = str(form.get("action", "")), str(form.get("note", ""))
    try:
        review = await run_in_threadpool(record_review, _state(request).store(), stored.record.id, action, note)
    except (ReviewError, ValueError) as exc:
        return _review_page(request, stored, error=str(exc), status_code=409)
    return RedirectResponse(f"/proposals/{review.proposal_id}?message=Marked+{review.status}.", status_code=303)


async def export_markdown(request: Request) -> Response:
    stored = await _stored(request)
    name = f"{stored.record.id}.md"
    return Response(
        markdown_export(stored.proposal),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def export_eml(request: Request) -> Response:
    stored = await _stored(request)
    name = f"{stored.record.id}.eml"
    return Response(
        eml_export(stored.proposal, stored.record.id),
        media_type="message/rfc822",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [
    Route("/proposals", queue_page, name="proposals"),
    Route("/proposals/{proposal_id}", review_page, name="proposal"),
    Route("/proposals/{proposal_id}/customer-summary", edit_summary, methods=["POST"], name="edit_summary"),
    Route("/proposals/{proposal_id}/check", check_summary, methods=["POST"], name="check_summary"),
    Route("/proposals/{proposal_id}/review", review_action, methods=["POST"], name="review"),
    Route("/proposals/{proposal_id}/export.md", export_markdown, name="export_md"),
    Route("/proposals/{proposal_id}/export.eml", export_eml, name="export_eml"),
]
NAV = [("/proposals", "Review queue")]
