"""HubSpot connector against respx fixtures shaped as CONNECTOR-SHAPES.md §1 (string properties, v4 ids as ints)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from connectors.config import HttpConfig, HubSpotConfig
from connectors.errors import SourceError, UnknownAccountError
from connectors.hubspot import HubSpot
from skills.snapshot import Account

BASE = "https://api.hubapi.com"
ENV = {"HUBSPOT_ACCESS_TOKEN": "pat-na1-test-token"}
STAMPS = {"createdAt": "2023-01-05T10:00:00.000Z", "updatedAt": "2024-06-01T12:00:00.000Z", "archived": False}
BATCH = {"status": "COMPLETE", "startedAt": "2024-06-01T12:00:00.000Z", "completedAt": "2024-06-01T12:00:00.100Z"}


def company(company_id: str, name: str = "Acme Corp", **changes: str | None) -> dict[str, Any]:
    properties: dict[str, str | None] = {
        "name": name, "domain": "acme.com", "industry": "COMPUTER_SOFTWARE", "numberofemployees": "250",
        "annualrevenue": "50000000", "lifecyclestage": "customer", "hs_object_id": company_id,
        "createdate": "2023-01-05T10:00:00.000Z", "hs_lastmodifieddate": "2024-06-01T12:00:00.000Z",
        "segment": "Mid-Market", "region": "EMEA", "csm_owner": "Dana Reyes", "plan_tier": "growth",
        "products": "workflows;analytics", "arr": "120000", "seats_licensed": "100", "price_per_seat": "800",
        "contract_start": "2023-01-05", "renewal_date": "2025-01-05", "employees_at_signing": "200",
        "revenue_at_signing": "40000000", "health_score": "82", "health_trend": "up", "integrations_count": "4",
    }  # fmt: skip
    return {"id": company_id, "properties": present({**properties, **changes}), **STAMPS}


def present(properties: dict[str, str | None]) -> dict[str, str]:
    """The published spec types property values as (non-null) strings: an unset property is left out."""
    return {k: v for k, v in properties.items() if v is not None}


def record(object_id: str, **properties: str | None) -> dict[str, Any]:
    return {"id": object_id, "properties": present({"hs_object_id": object_id, **properties}), **STAMPS}


def association(to_id: int | str) -> dict[str, Any]:
    """A v4 association row; the published spec types toObjectId as a string and label as an
    optional (non-null) string, so an unlabelled type leaves label out."""
    return {"toObjectId": str(to_id), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": 280},
        {"category": "HUBSPOT_DEFINED", "typeId": 2, "label": "Primary"},
    ]}  # fmt: skip


def hubspot(sleeps: list[float] | None = None, **config: Any) -> HubSpot:
    return HubSpot(
        HubSpotConfig(**config), HttpConfig(), environ=ENV, sleep=(sleeps if sleeps is not None else []).append
    )


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_company_maps_to_account(api: respx.Router) -> None:
    route = api.get("/crm/v3/objects/companies/9001").respond(200, json=company("9001"))
    account = hubspot().account("9001")
    assert account.model_dump() == {
        "account_id": "9001", "name": "Acme Corp", "domain": "acme.com", "industry": "COMPUTER_SOFTWARE",
        "segment": "mid_market", "region": "EMEA", "csm_owner": "Dana Reyes", "plan_tier": "growth",
        "products": ("workflows", "analytics"), "currency": "USD", "arr": 120000.0, "seats_licensed": 100,
        "price_per_seat": 800.0, "contract_start": date(2023, 1, 5), "renewal_date": date(2025, 1, 5),
        "employees_at_signing": 200, "employees_now": 250, "revenue_at_signing": 40000000.0,
        "revenue_now": 50000000.0, "health_score": 82.0, "health_trend": "up", "integrations_count": 4,
    }  # fmt: skip
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer pat-na1-test-token"
    assert "seats_licensed" in request.url.params["properties"].split(",")


def test_renamed_property_is_read_under_its_portal_name(api: respx.Router) -> None:
    api.get("/crm/v3/objects/companies/9001").respond(
        200, json=company("9001", seats_licensed=None, licensed_seats="7")
    )
    assert hubspot(account_fields={"seats_licensed": "licensed_seats"}).account("9001").seats_licensed == 7


def test_missing_required_property_names_property_and_company(api: respx.Router) -> None:
    api.get("/crm/v3/objects/companies/9001").respond(200, json=company("9001", seats_licensed=None))
    with pytest.raises(SourceError, match=r"hubspot: account 9001: 'seats_licensed' \(for seats_licensed\) is empty"):
        hubspot().account("9001")


def test_accounts_follow_search_paging_with_the_customer_filter(api: respx.Router) -> None:
    route = api.post("/crm/v3/objects/companies/search").mock(side_effect=[
        httpx.Response(200, json={"total": 3, "results": [company("1"), company("2", "Beta")],
                                  "paging": {"next": {"after": "2", "link": "?after=2"}}}),
        httpx.Response(200, json={"total": 3, "results": [company("3", "Gamma")]}),
    ])  # fmt: skip
    assert [a.account_id for a in hubspot().accounts()] == ["1", "2", "3"]
    first, second = (json.loads(call.request.content) for call in route.calls)
    assert first["filterGroups"] == [
        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
    ]
    assert first["after"] == "0" and second["after"] == "2"
    assert first["limit"] == 200 and first["sorts"] == ["hs_object_id"]


def test_find_accounts_searches_name_or_domain(api: respx.Router) -> None:
    route = api.post("/crm/v3/objects/companies/search").respond(200, json={"total": 1, "results": [company("9001")]})
    assert [a.name for a in hubspot().find_accounts("acme")] == ["Acme Corp"]
    groups = json.loads(route.calls.last.request.content)["filterGroups"]
    assert [[f["propertyName"] for f in g["filters"]] for g in groups] == [
        ["lifecyclestage", "name"],
        ["lifecyclestage", "domain"],
    ]
    assert groups[0]["filters"][1] == {"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "*acme*"}


def test_unknown_company_is_unknown_account_with_suggestions(api: respx.Router) -> None:
    api.get("/crm/v3/objects/companies/404404").respond(
        404,
        json={
            "status": "error",
            "message": "resource not found",
            "correlationId": "a43683b0",
            "category": "OBJECT_NOT_FOUND",
        },
    )
    api.post("/crm/v3/objects/companies/search").respond(200, json={"total": 1, "results": [company("9001")]})
    with pytest.raises(UnknownAccountError) as caught:
        hubspot().account("404404")
    assert caught.value.suggestions == ["9001 (Acme Corp)"]


ACME = Account.model_validate({**company("9001")["properties"], "account_id": "9001", "segment": "mid_market",
                               "health_trend": "up", "products": ()})  # fmt: skip


def test_associations_page_and_dedupe_then_batch_read(api: respx.Router) -> None:
    assoc = api.get("/crm/v4/objects/companies/9001/associations/contacts").mock(side_effect=[
        httpx.Response(200, json={"results": [association(201), association(202)],
                                  "paging": {"next": {"after": "MjAy", "link": "…"}}}),
        httpx.Response(200, json={"results": [association("202"), association("203")]}),
    ])  # fmt: skip
    batch = api.post("/crm/v3/objects/contacts/batch/read").respond(200, json={**BATCH, "results": [
        record("201", firstname="Sarah", jobtitle="Ops Lead", hs_buying_role="END_USER;CHAMPION",
               notes_last_contacted="2024-06-01T12:00:00.000Z"),
        record("202", firstname="Raj", jobtitle="CFO", hs_buying_role="BUDGET_HOLDER"),
        record("203", firstname="Lee", jobtitle=None, hs_buying_role=None),
    ]})  # fmt: skip
    contacts = hubspot().contacts(ACME)
    assert [(c.contact_id, c.first_name, c.role, c.status) for c in contacts] == [
        ("201", "Sarah", "champion", "active"),
        ("202", "Raj", "economic_buyer", "active"),
        ("203", "Lee", "user", "active"),
    ]
    assert contacts[0].last_engaged_at == date(2024, 6, 1)
    assert assoc.calls[1].request.url.params["after"] == "MjAy"
    assert json.loads(batch.calls.last.request.content)["inputs"] == [{"id": "201"}, {"id": "202"}, {"id": "203"}]


def test_deals_and_tickets_map_stages_types_and_priorities(api: respx.Router) -> None:
    for kind, ids in (("deals", [301, 302, 303]), ("tickets", [401, 402, 403])):
        api.get(f"/crm/v4/objects/companies/9001/associations/{kind}").respond(
            200, json={"results": [association(i) for i in ids]}
        )
    api.post("/crm/v3/objects/deals/batch/read").respond(200, json={**BATCH, "results": [
        record("301", dealname="Acme renewal", amount="120000", dealstage="closedwon", dealtype="existingbusiness",
               closedate="2024-03-31T00:00:00Z"),
        record("302", dealname="Acme seats", amount=None, dealstage="contractsent", dealtype=None, closedate=None),
        record("303", dealname="Acme lost", amount="5000", dealstage="closedlost", dealtype="newbusiness", closedate=None),
    ]})  # fmt: skip
    api.post("/crm/v3/objects/tickets/batch/read").respond(200, json={**BATCH, "results": [
        record("401", subject="SSO failing", hs_ticket_priority="URGENT", hs_pipeline_stage="2",
               createdate="2024-05-01T12:00:00.000Z"),
        record("402", subject="Question", hs_ticket_priority=None, hs_pipeline_stage="4", createdate="2024-04-01T00:00:00Z"),
        record("403", subject="Export", hs_ticket_priority="MEDIUM", hs_pipeline_stage="3", createdate="2024-04-02T00:00:00Z"),
    ]})  # fmt: skip
    source = hubspot()
    assert [(d.deal_id, d.stage, d.type, d.amount, d.close_date) for d in source.deals(ACME)] == [
        ("301", "won", "expansion", 120000.0, date(2024, 3, 31)),
        ("302", "open", "new", 0.0, None),
        ("303", "lost", "new", 5000.0, None),
    ]
    assert [(t.ticket_id, t.priority, t.status, t.opened_at) for t in source.tickets(ACME)] == [
        ("401", "P1", "pending", date(2024, 5, 1)),
        ("402", "P4", "closed", date(2024, 4, 1)),
        ("403", "P3", "open", date(2024, 4, 2)),
    ]


def test_unmapped_ticket_stage_is_an_error_not_a_guess(api: respx.Router) -> None:
    api.get("/crm/v4/objects/companies/9001/associations/tickets").respond(200, json={"results": [association(401)]})
    api.post("/crm/v3/objects/tickets/batch/read").respond(
        200,
        json={
            **BATCH,
            "results": [
                record("401", subject="x", hs_ticket_priority="LOW", hs_pipeline_stage="93511", createdate="2024-05-01")
            ],
        },
    )
    with pytest.raises(SourceError, match=r"ticket 401 hs_pipeline_stage .*'93511' has no mapping"):
        hubspot().tickets(ACME)


ERROR_BODY = {"status": "error", "correlationId": "a43683b0-5d3c-4c1e-9c8e-d1d1d1d1d1d1"}


@pytest.mark.parametrize(("status", "body", "expected"), [
    (401, {**ERROR_BODY, "message": "Authentication credentials not found.", "category": "INVALID_AUTHENTICATION"},
     r"HTTP 401 unauthorized \(INVALID_AUTHENTICATION: .*\); check that HUBSPOT_ACCESS_TOKEN holds"),
    (403, {**ERROR_BODY, "message": "This app hasn't been granted all required scopes.", "category": "MISSING_SCOPES"},
     r"HTTP 403 forbidden \(MISSING_SCOPES: .*\); the private app needs the read scopes crm.objects.companies.read"),
    (404, {**ERROR_BODY, "message": "Not found", "category": "OBJECT_NOT_FOUND"},
     r"HTTP 404 not found: GET /crm/v4/objects/companies/9001/associations/deals \(OBJECT_NOT_FOUND: Not found\)"),
])  # fmt: skip
def test_client_errors_say_what_to_check(api: respx.Router, status: int, body: dict[str, Any], expected: str) -> None:
    route = api.get("/crm/v4/objects/companies/9001/associations/deals").respond(status, json=body)
    with pytest.raises(SourceError, match=expected) as caught:
        hubspot().deals(ACME)
    assert route.call_count == 1 and "pat-na1-test-token" not in str(caught.value)


RATE_LIMIT_BODY = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                   "errorType": "RATE_LIMIT", "category": "RATE_LIMITS", "correlationId": "c033cdaa",
                   "policyName": "TEN_SECONDLY_ROLLING", "requestId": "3d3e35b7"}  # fmt: skip


@pytest.mark.parametrize(("first", "waited"), [
    (httpx.Response(429, json=RATE_LIMIT_BODY, headers={"Retry-After": "7"}), [7.0]),
    (httpx.Response(429, json=RATE_LIMIT_BODY), [1.0]),
    (httpx.Response(429, json=RATE_LIMIT_BODY, headers={"X-HubSpot-RateLimit-Remaining": "0",
                                                        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}), [10.0]),
    (httpx.Response(500, json={**ERROR_BODY, "message": "internal error", "category": "INTERNAL_ERROR"}), [1.0]),
])  # fmt: skip
def test_rate_limits_and_server_errors_are_retried(
    api: respx.Router, first: httpx.Response, waited: list[float]
) -> None:
    route = api.get("/crm/v3/objects/companies/9001").mock(
        side_effect=[first, httpx.Response(200, json=company("9001"))]
    )
    sleeps: list[float] = []
    assert hubspot(sleeps).account("9001").name == "Acme Corp"
    assert sleeps == waited and route.call_count == 2


def test_a_portal_that_stays_down_gives_up_after_max_attempts(api: respx.Router) -> None:
    route = api.get("/crm/v3/objects/companies/9001").respond(503, text="upstream unavailable")
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"HTTP 503 \(upstream unavailable\); gave up after 5 attempt"):
        hubspot(sleeps).account("9001")
    assert route.call_count == 5 and sleeps == [1.0, 2.0, 4.0, 8.0]


def test_missing_token_variable_is_named() -> None:
    with pytest.raises(SourceError, match="environment variable HUBSPOT_ACCESS_TOKEN is not set"):
        HubSpot(HubSpotConfig(), HttpConfig(), environ={})


def test_search_narrows_by_id_before_the_10000_result_cap(api: respx.Router) -> None:
    """Search pages 200 at a time; after 50 pages (10,000 results), the query restarts
    with hs_object_id GT the last id read (sorted by id), so no request pages past the cap."""
    bodies: list[dict[str, Any]] = []

    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        above = next((int(f["value"]) for f in body["filterGroups"][0]["filters"] if f["operator"] == "GT"), 0)
        start = above + int(body["after"])
        assert int(body["after"]) + body["limit"] <= 10_000, "paged past the cap"
        ids = [i for i in range(start + 1, start + 1 + body["limit"]) if i <= 10_300]
        page: dict[str, Any] = {"total": 10_300 - above, "results": [company(str(i)) for i in ids]}
        if ids and ids[-1] < 10_300:
            after = str(int(body["after"]) + len(ids))
            page["paging"] = {"next": {"after": after, "link": f"?after={after}"}}
        return httpx.Response(200, json=page)

    api.post("/crm/v3/objects/companies/search").mock(side_effect=respond)
    ids = [int(a.account_id) for a in hubspot().accounts()]
    assert ids == list(range(1, 10_301))
    restarts = [b for b in bodies if b["after"] == "0"]
    assert len(restarts) == 2 and restarts[1]["filterGroups"][0]["filters"][-1] == {
        "propertyName": "hs_object_id", "operator": "GT", "value": "10000"
    }  # fmt: skip


def test_search_is_paced_to_four_requests_per_second(api: respx.Router) -> None:
    pages = [
        httpx.Response(200, json={"total": 3, "results": [company(str(i))],
                                  **({"paging": {"next": {"after": str(i), "link": "…"}}} if i < 3 else {})})
        for i in (1, 2, 3)
    ]  # fmt: skip
    api.post("/crm/v3/objects/companies/search").mock(side_effect=pages)
    sleeps: list[float] = []
    source = HubSpot(HubSpotConfig(), HttpConfig(), environ=ENV, sleep=sleeps.append, clock=lambda: 100.0)
    assert len(source.accounts()) == 3
    assert sleeps == [0.25, 0.5]
