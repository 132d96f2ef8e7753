"""Zendesk connector against respx fixtures shaped as CONNECTOR-SHAPES.md §3 (cursor and offset pages, text 429)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from connectors.config import HttpConfig, ZendeskConfig
from connectors.errors import SourceError
from connectors.zendesk import Zendesk
from skills.snapshot import Account

BASE = "https://acme.zendesk.com"
ORG_TICKETS = "/api/v2/organizations/509974/tickets.json"
ENV = {"ZENDESK_EMAIL": "agent@vendor.example", "ZENDESK_API_TOKEN": "zd-test-token"}
ACME = Account.model_validate({
    "account_id": "ACC-1", "name": "Acme Corp", "segment": "enterprise", "region": "NA", "csm_owner": "Dana",
    "plan_tier": "enterprise", "arr": 240000, "seats_licensed": 200, "price_per_seat": 1200,
    "contract_start": "2022-04-01", "renewal_date": "2025-04-01", "health_score": 80, "health_trend": "up",
})  # fmt: skip


def ticket(ticket_id: int, priority: str | None, status: str, created: str = "2024-05-01T12:00:00Z") -> dict[str, Any]:
    """A ticket as the published TicketObject allows: its non-nullable fields are left out when empty."""
    body = {
        "id": ticket_id, "url": f"{BASE}/api/v2/tickets/{ticket_id}.json", "type": "incident",
        "subject": f"Ticket {ticket_id}", "raw_subject": f"Ticket {ticket_id}", "description": "…",
        "priority": priority, "status": status, "requester_id": 20978392, "submitter_id": 20978392,
        "assignee_id": 235323, "organization_id": 509974, "group_id": 98738, "tags": ["sso"],
        "custom_fields": [{"id": 27642, "value": "745"}], "via": {"channel": "email"},
        "satisfaction_rating": {"score": "good"}, "created_at": created, "updated_at": created, "due_at": None,
    }  # fmt: skip
    return {k: v for k, v in body.items() if v is not None or k == "due_at"}


def cursor_page(tickets: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    next_url = f"{BASE}{ORG_TICKETS}?page[size]=100&page[after]={after}" if after else None
    return {"tickets": tickets, "meta": {"has_more": after is not None, "after_cursor": after, "before_cursor": "yyy"},
            "links": {"next": next_url, "prev": f"{BASE}{ORG_TICKETS}?page[size]=100&page[before]=yyy"}}  # fmt: skip


def zendesk(sleeps: list[float] | None = None, **config: Any) -> Zendesk:
    settings = {"subdomain": "acme", "organization_ids": {"ACC-1": 509974}, **config}
    return Zendesk(
        ZendeskConfig(**settings), HttpConfig(), environ=ENV, sleep=(sleeps if sleeps is not None else []).append
    )


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_cursor_pages_are_followed_and_values_mapped(api: respx.Router) -> None:
    route = api.get(ORG_TICKETS).mock(side_effect=[
        httpx.Response(200, json=cursor_page([ticket(1, "urgent", "new"), ticket(2, "high", "hold")], after="xxx")),
        httpx.Response(200, json=cursor_page([ticket(3, "normal", "pending"), ticket(4, "low", "solved"),
                                              ticket(5, None, "closed", "2024-01-31T23:59:59Z")], after=None)),
    ])  # fmt: skip
    tickets = zendesk().tickets(ACME)
    assert [(t.ticket_id, t.priority, t.status) for t in tickets] == [
        ("1", "P1", "open"),
        ("2", "P2", "open"),
        ("3", "P3", "pending"),
        ("4", "P4", "solved"),
        ("5", "P4", "closed"),
    ]
    assert (tickets[0].account_id, tickets[0].opened_at, tickets[4].opened_at) == (
        "ACC-1",
        date(2024, 5, 1),
        date(2024, 1, 31),
    )
    first, second = (call.request for call in route.calls)
    assert first.url.params["page[size]"] == "100" and second.url.params["page[after]"] == "xxx"
    expected = base64.b64encode(b"agent@vendor.example/token:zd-test-token").decode()
    assert first.headers["Authorization"] == f"Basic {expected}"


def test_offset_pages_are_followed_too(api: respx.Router) -> None:
    route = api.get(ORG_TICKETS).mock(side_effect=[
        httpx.Response(200, json={"tickets": [ticket(1, "low", "open")], "next_page": f"{BASE}{ORG_TICKETS}?page=2&per_page=100",
                                  "previous_page": None, "count": 2}),
        httpx.Response(200, json={"tickets": [ticket(2, "low", "open")], "next_page": None,
                                  "previous_page": f"{BASE}{ORG_TICKETS}?page=1&per_page=100", "count": 2}),
    ])  # fmt: skip
    assert [t.ticket_id for t in zendesk().tickets(ACME)] == ["1", "2"]
    assert route.calls.last.request.url.params["page"] == "2"


def organization(external_id: str) -> dict[str, Any]:
    return {
        "id": 509974, "url": f"{BASE}/api/v2/organizations/509974.json", "name": "Acme Corp",
        "external_id": external_id, "domain_names": ["acme.com"], "details": "", "notes": "", "group_id": None,
        "shared_tickets": False, "shared_comments": False, "tags": [], "organization_fields": {},
        "created_at": "2022-04-01T00:00:00Z", "updated_at": "2024-06-01T00:00:00Z",
    }  # fmt: skip


@pytest.mark.parametrize("stored", ["ACC-1", "acc-1"])
def test_organization_found_by_external_id_case_insensitively(api: respx.Router, stored: str) -> None:
    search = api.get("/api/v2/organizations/search.json").respond(
        200, json={"organizations": [organization(stored)], "next_page": None, "previous_page": None, "count": 1}
    )
    api.get(ORG_TICKETS).respond(200, json=cursor_page([ticket(1, "low", "open")], after=None))
    source = zendesk(organization_ids={}, lookup_external_id=True)
    assert [t.ticket_id for t in source.tickets(ACME)] == ["1"]
    assert search.calls.last.request.url.params["external_id"] == "ACC-1"


def test_external_id_lookup_is_opt_in_and_names_the_permission(api: respx.Router) -> None:
    search = api.get("/api/v2/organizations/search.json").respond(200, json={"organizations": []})
    with pytest.raises(
        SourceError, match=r"organization_ids; map it there, or set lookup_external_id = true \(.*admin"
    ):
        zendesk(organization_ids={}).tickets(ACME)
    assert search.call_count == 0


def test_organization_search_403_names_the_permission(api: respx.Router) -> None:
    api.get("/api/v2/organizations/search.json").respond(
        403, json={"error": "Forbidden", "description": "You do not have access to this page."}
    )
    with pytest.raises(SourceError, match=r"HTTP 403 on organization search: .*add or modify organizations"):
        zendesk(organization_ids={}, lookup_external_id=True).tickets(ACME)


def test_no_organization_is_an_error_not_an_empty_list(api: respx.Router) -> None:
    api.get("/api/v2/organizations/search.json").respond(
        200, json={"organizations": [], "next_page": None, "previous_page": None, "count": 0}
    )
    with pytest.raises(SourceError, match="no organizations have external_id 'ACC-1'"):
        zendesk(organization_ids={}, lookup_external_id=True).tickets(ACME)


def test_errors_list_body_is_read(api: respx.Router) -> None:
    body = {"errors": [{"code": "InvalidPaginationParameter", "title": "Invalid pagination parameter",
                        "detail": "page[size] is over 100"}]}  # fmt: skip
    api.get(ORG_TICKETS).respond(400, json=body)
    with pytest.raises(SourceError, match=r"HTTP 400 .*\(InvalidPaginationParameter: Invalid pagination parameter: "):
        zendesk().tickets(ACME)


def test_oauth_bearer_token(api: respx.Router) -> None:
    route = api.get(ORG_TICKETS).respond(200, json=cursor_page([], after=None))
    Zendesk(ZendeskConfig(base_url=BASE, bearer_env="ZD_OAUTH", organization_ids={"ACC-1": 509974}), HttpConfig(),
            environ={"ZD_OAUTH": "oauth-test"}).tickets(ACME)  # fmt: skip
    assert route.calls.last.request.headers["Authorization"] == "Bearer oauth-test"


@pytest.mark.parametrize(("status", "body", "expected"), [
    (401, {"error": "Couldn't authenticate you"},
     r"HTTP 401 unauthorized \(Couldn't authenticate you\); check that ZENDESK_EMAIL is an agent's email and"
     r" ZENDESK_API_TOKEN an active API token"),
    (403, {"error": "Forbidden", "description": "You do not have access to this page."},
     r"HTTP 403 forbidden \(Forbidden: You do not have access to this page.\); the user needs agent access"),
    (404, {"error": "RecordNotFound", "description": "Not found"},
     r"HTTP 404 not found: GET /api/v2/organizations/509974/tickets.json \(RecordNotFound: Not found\)"),
])  # fmt: skip
def test_client_errors_say_what_to_check(api: respx.Router, status: int, body: dict[str, str], expected: str) -> None:
    route = api.get(ORG_TICKETS).respond(status, json=body)
    with pytest.raises(SourceError, match=expected) as caught:
        zendesk().tickets(ACME)
    assert route.call_count == 1 and "zd-test-token" not in str(caught.value)


TOO_MANY = "Number of allowed API requests per minute exceeded"


@pytest.mark.parametrize(("first", "waited"), [
    (httpx.Response(429, text=TOO_MANY, headers={"Retry-After": "41", "content-type": "text/plain"}), [41.0]),
    (httpx.Response(429, text=TOO_MANY, headers={"content-type": "text/plain"}), [1.0]),
    (httpx.Response(500, json={"error": "InternalError", "description": "try again"}), [1.0]),
])  # fmt: skip
def test_rate_limits_and_server_errors_are_retried(
    api: respx.Router, first: httpx.Response, waited: list[float]
) -> None:
    route = api.get(ORG_TICKETS).mock(side_effect=[first, httpx.Response(200, json=cursor_page([], after=None))])
    sleeps: list[float] = []
    assert zendesk(sleeps).tickets(ACME) == []
    assert sleeps == waited and route.call_count == 2


def test_a_text_429_that_never_clears_gives_up_quoting_the_text(api: respx.Router) -> None:
    route = api.get(ORG_TICKETS).respond(429, text=TOO_MANY, headers={"Retry-After": "2", "content-type": "text/plain"})
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=rf"HTTP 429 \({TOO_MANY}\); gave up after 5 attempt"):
        zendesk(sleeps).tickets(ACME)
    assert route.call_count == 5 and sleeps == [2.0] * 4


def test_config_needs_exactly_one_address() -> None:
    with pytest.raises(ValueError, match="exactly one of subdomain or base_url"):
        ZendeskConfig()
    with pytest.raises(ValueError, match="exactly one of subdomain or base_url"):
        ZendeskConfig(subdomain="acme", base_url=BASE)
