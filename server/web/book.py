"""`/`: the book, ranked best first; sortable and filterable, server-rendered (works without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.desk import TIERS
from server.web.render import page
from server.web.state import DeskState
from skills.assessment import AccountAssessment
from skills.catalog import EXPANSION_TYPES

PAGE_SIZE = 50
CHANGES_SHOWN = 10  # the biggest score moves first; `expansion-desk changes` lists them all
SORTS: dict[str, tuple[str, Callable[[AccountAssessment], Any]]] = {
    "rank": ("rank", lambda a: 0),
    "score": ("score", lambda a: a.score),
    "value": ("proposed value", lambda a: a.proposed_expansion_value),
    "arr": ("ARR", lambda a: a.current_arr),
    "utilisation": ("utilisation", lambda a: -1.0 if a.utilisation is None else a.utilisation),
    "name": ("name", lambda a: a.name.lower()),
}


def actionable(a: AccountAssessment) -> bool:
    """Gate passed and nothing blocks a conversation now (SPEC §6)."""
    return a.gate.passed and not a.blockers


def value_case(a: AccountAssessment) -> str | None:
    """The ROI's value case (strong, weak, unknown) when this build's ROI states one."""
    found = getattr(a.roi, "value_case", None)
    return str(found) if found is not None else None


def _matches(a: AccountAssessment, f: dict[str, str]) -> bool:
    q = f["q"].lower()
    return (
        (not f["tier"] or a.tier == f["tier"])
        and (not f["csm"] or a.csm_owner == f["csm"])
        and (not f["segment"] or a.segment == f["segment"])
        and (not f["offer"] or a.expansion_type == f["offer"])
        and (not f["actionable"] or actionable(a))
        and (not f["value_case"] or value_case(a) == f["value_case"])
        and (not q or q in a.name.lower() or q in a.account_id.lower())
    )


def filtered(book: Sequence[AccountAssessment], f: dict[str, str]) -> list[AccountAssessment]:
    rows = [a for a in book if _matches(a, f)]
    if f["sort"] != "rank":
        rows.sort(key=SORTS[f["sort"]][1], reverse=f["dir"] != "asc")
    elif f["dir"] == "asc":
        rows.reverse()
    return rows


def read_filters(request: Request) -> dict[str, str]:
    p = request.query_params
    f = {k: p.get(k, "").strip() for k in ("tier", "csm", "segment", "offer", "value_case", "q", "as_of")}
    f["actionable"] = "1" if p.get("actionable") else ""
    sort = p.get("sort", "rank")
    f["sort"] = sort if sort in SORTS else "rank"
    f["dir"] = "asc" if p.get("dir") == "asc" else "desc"
    return f


async def book_page(request: Request) -> Response:
    state: DeskState = request.app.state.desk
    f = read_filters(request)
    day = state.day(f["as_of"])
    book = await run_in_threadpool(state.book, day)
    changes = await run_in_threadpool(state.changes, day)
    rows = filtered(book, f)
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(number, pages)
    shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    return page(
        request,
        "book.html",
        day=day,
        f=f,
        rows=shown,
        first=(number - 1) * PAGE_SIZE,
        total=len(rows),
        book_size=len(book),
        page_number=number,
        pages=pages,
        tiers=TIERS,
        csms=sorted({a.csm_owner for a in book}),
        segments=sorted({a.segment for a in book}),
        offers=EXPANSION_TYPES,
        value_cases=sorted({c for c in map(value_case, book) if c is not None}),
        sorts={k: label for k, (label, _) in SORTS.items()},
        tier_counts={t: sum(1 for a in book if a.tier == t) for t in TIERS},
        actionable=actionable,
        changes=changes,
        changes_shown=changes.changes[:CHANGES_SHOWN],
    )


ROUTES = [Route("/", book_page, name="book")]
NAV = [("/", "Book")]
