"""Salesforce connector against respx fixtures shaped as CONNECTOR-SHAPES.md §2 (SOQL batches, array errors)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
import respx

from connectors.config import HttpConfig, SalesforceConfig
from connectors.errors import SourceError, UnknownAccountError
from connectors.salesforce import Salesforce, soql_contains, soql_string
from skills.snapshot import Account

BASE = "https://acme.my.salesforce.com"
QUERY = "/services/data/v62.0/query"
MORE = "/services/data/v62.0/query/01gRO0000016PIAYA2-2000"
ENV = {"SALESFORCE_ACCESS_TOKEN": "00Dxx!sf-test-token"}
ACCOUNT_ID = "001xx000003DGb2AAG"


def attributes(sobject: str, record_id: str) -> dict[str, Any]:
    return {
        "attributes": {"type": sobject, "url": f"/services/data/v62.0/sobjects/{sobject}/{record_id}"},
        "Id": record_id,
    }


def sf_account(record_id: str = ACCOUNT_ID, name: str = "Acme Corp", **changes: Any) -> dict[str, Any]:
    fields = {
        "Name": name, "Industry": "Technology", "Website": "acme.com", "NumberOfEmployees": 250,
        "AnnualRevenue": 50000000.0, "Owner": {"attributes": {"type": "User", "url": "/x"}, "Name": "Jane AE"},
        "Segment__c": "Enterprise", "Region__c": "NA", "CSM_Owner__c": "Dana Reyes", "Plan_Tier__c": "enterprise",
        "Products__c": "workflows;analytics", "ARR__c": 240000.0, "Seats_Licensed__c": 200.0, "Price_Per_Seat__c": 1200.0,
        "Contract_Start__c": "2022-04-01", "Renewal_Date__c": "2025-04-01", "Employees_At_Signing__c": 180,
        "Revenue_At_Signing__c": None, "Health_Score__c": 71.5, "Health_Trend__c": "Flat", "Integrations_Count__c": 2,
    }  # fmt: skip
    return {**attributes("Account", record_id), **fields, **changes}


def page(records: list[dict[str, Any]], next_url: str | None = None, total: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": total or len(records), "done": next_url is None, "records": records}
    return body if next_url is None else {**body, "nextRecordsUrl": next_url}


def salesforce(sleeps: list[float] | None = None, **config: Any) -> Salesforce:
    return Salesforce(SalesforceConfig(instance_url=BASE, **config), HttpConfig(), environ=ENV,
                      sleep=(sleeps if sleeps is not None else []).append)  # fmt: skip


@pytest.fixture
def api() -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


ACME = Account.model_validate({
    "account_id": ACCOUNT_ID, "name": "Acme Corp", "segment": "enterprise", "region": "NA", "csm_owner": "Dana",
    "plan_tier": "enterprise", "arr": 240000, "seats_licensed": 200, "price_per_seat": 1200,
    "contract_start": "2022-04-01", "renewal_date": "2025-04-01", "health_score": 71.5, "health_trend": "flat",
})  # fmt: skip


def test_account_maps_custom_fields_and_relationship_paths(api: respx.Router) -> None:
    route = api.get(QUERY).respond(200, json=page([sf_account()]))
    account = salesforce(account_fields={"csm_owner": "Owner.Name"}).account(ACCOUNT_ID)
    assert (account.name, account.segment, account.csm_owner, account.seats_licensed, account.health_trend) == (
        "Acme Corp",
        "enterprise",
        "Jane AE",
        200,
        "flat",
    )
    assert (account.products, account.renewal_date, account.revenue_at_signing) == (
        ("workflows", "analytics"),
        date(2025, 4, 1),
        None,
    )
    soql = route.calls.last.request.url.params["q"]
    assert soql.startswith("SELECT Id, Name, Website, Industry, Segment__c") and "Owner.Name" in soql
    assert soql.endswith(f"FROM Account WHERE Id = '{ACCOUNT_ID}'")
    assert route.calls.last.request.headers["Authorization"] == "Bearer 00Dxx!sf-test-token"


def test_accounts_follow_next_records_url(api: respx.Router) -> None:
    first = api.get(QUERY).respond(200, json=page([sf_account("001xx000003DGb2AAA"), sf_account("001xx000003DGb2AAB")],
                                                  next_url=MORE, total=3))  # fmt: skip
    second = api.get(MORE).respond(200, json=page([sf_account("001xx000003DGb2AAC", "Zeta")], total=3))
    assert [a.account_id[-1] for a in salesforce().accounts()] == ["A", "B", "C"]
    assert "WHERE Type LIKE 'Customer%' ORDER BY Name" in first.calls.last.request.url.params["q"]
    assert "q" not in second.calls.last.request.url.params


def test_search_text_is_escaped_in_soql() -> None:
    assert soql_string("O'Brien \\ co") == "'O\\'Brien \\\\ co'"
    assert soql_contains("50%_off") == "'%50\\%\\_off%'"


def test_find_accounts_uses_escaped_like_and_limit(api: respx.Router) -> None:
    route = api.get(QUERY).respond(200, json=page([sf_account()]))
    assert [a.name for a in salesforce().find_accounts("O'Brien", limit=3)] == ["Acme Corp"]
    soql = route.calls.last.request.url.params["q"]
    assert "(Name LIKE '%O\\'Brien%' OR Website LIKE '%O\\'Brien%') AND (Type LIKE 'Customer%')" in soql
    assert soql.endswith("ORDER BY Name LIMIT 3")


def test_unknown_id_is_unknown_account(api: respx.Router) -> None:
    api.get(QUERY).mock(
        side_effect=[httpx.Response(200, json=page([])), httpx.Response(200, json=page([sf_account()]))]
    )
    with pytest.raises(UnknownAccountError) as caught:
        salesforce().account("001xx000003DGb2ZZZ")
    assert caught.value.suggestions == [f"{ACCOUNT_ID} (Acme Corp)"]


def test_contacts_opportunities_and_cases(api: respx.Router) -> None:
    def by_object(request: httpx.Request) -> httpx.Response:
        soql = request.url.params["q"]
        assert soql.endswith(f"WHERE AccountId = '{ACCOUNT_ID}'")
        if "FROM Contact" in soql:
            return httpx.Response(200, json=page([
                {**attributes("Contact", "003A"), "FirstName": "Sarah", "Title": "VP Ops", "Department": "Operations",
                 "LastActivityDate": "2024-06-01", "Buying_Role__c": "Champion"},
                {**attributes("Contact", "003B"), "FirstName": "Old", "Title": None, "Department": None,
                 "LastActivityDate": None, "Buying_Role__c": None, "Status__c": "Left"},
            ]))  # fmt: skip
        if "FROM Opportunity" in soql:
            return httpx.Response(200, json=page([
                {**attributes("Opportunity", "006A"), "Name": "Upgrade", "Amount": 120000.0, "IsClosed": True,
                 "IsWon": True, "Type": "Existing Customer - Upgrade", "CloseDate": "2024-03-31"},
                {**attributes("Opportunity", "006B"), "Name": "New", "Amount": None, "IsClosed": False,
                 "IsWon": False, "Type": None, "CloseDate": "2024-09-30"},
            ]))  # fmt: skip
        return httpx.Response(200, json=page([
            {**attributes("Case", "500A"), "Subject": "SSO down", "Priority": "Critical", "Status": "Escalated",
             "IsClosed": False, "CreatedDate": "2024-03-01T12:00:00.000+0000"},
            {**attributes("Case", "500B"), "Subject": "Export", "Priority": "Medium", "Status": "Waiting on Customer",
             "IsClosed": False, "CreatedDate": "2024-03-02T12:00:00.000+0000"},
            {**attributes("Case", "500C"), "Subject": "Old", "Priority": None, "Status": "Closed", "IsClosed": True,
             "CreatedDate": "2024-01-02T12:00:00.000+0000"},
        ]))  # fmt: skip

    api.get(QUERY).mock(side_effect=by_object)
    source = salesforce(contact_fields={"role": "Buying_Role__c", "status": "Status__c"})
    assert [(c.contact_id, c.role, c.status, c.department) for c in source.contacts(ACME)] == [
        ("003A", "champion", "active", "Operations"),
        ("003B", "user", "left", ""),
    ]
    assert [(d.deal_id, d.stage, d.type, d.amount) for d in source.deals(ACME)] == [
        ("006A", "won", "expansion", 120000.0),
        ("006B", "open", "new", 0.0),
    ]
    assert [(t.ticket_id, t.priority, t.status, t.opened_at) for t in source.tickets(ACME)] == [
        ("500A", "P1", "open", date(2024, 3, 1)),
        ("500B", "P3", "pending", date(2024, 3, 2)),
        ("500C", "P4", "closed", date(2024, 1, 2)),
    ]


@pytest.mark.parametrize(("status", "body", "expected"), [
    (401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
     r"HTTP 401 unauthorized \(INVALID_SESSION_ID: Session expired or invalid\); check that SALESFORCE_ACCESS_TOKEN"),
    (403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
     r"HTTP 403 forbidden \(REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.\); the user needs the API Enabled"),
    (404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
     r"HTTP 404 not found: GET /services/data/v62.0/query \(NOT_FOUND: The requested resource does not exist\)"),
])  # fmt: skip
def test_client_errors_say_what_to_check(
    api: respx.Router, status: int, body: list[dict[str, str]], expected: str
) -> None:
    route = api.get(QUERY).respond(status, json=body)
    with pytest.raises(SourceError, match=expected) as caught:
        salesforce().tickets(ACME)
    assert route.call_count == 1 and "sf-test-token" not in str(caught.value)


UNAVAILABLE = [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]


@pytest.mark.parametrize(("first", "waited"), [
    (httpx.Response(429, json=[{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                    headers={"Retry-After": "12"}), [12.0]),
    (httpx.Response(429, json=[{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]), [1.0]),
    (httpx.Response(500, json=UNAVAILABLE), [1.0]),
])  # fmt: skip
def test_rate_limits_and_server_errors_are_retried(
    api: respx.Router, first: httpx.Response, waited: list[float]
) -> None:
    route = api.get(QUERY).mock(side_effect=[first, httpx.Response(200, json=page([sf_account()]))])
    sleeps: list[float] = []
    assert salesforce(sleeps).account(ACCOUNT_ID).name == "Acme Corp"
    assert sleeps == waited and route.call_count == 2


def test_an_org_that_stays_down_gives_up_after_max_attempts(api: respx.Router) -> None:
    route = api.get(QUERY).respond(503, json=UNAVAILABLE)
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"HTTP 503 \(SERVER_UNAVAILABLE: Server temporarily unavailable\); gave up"):
        salesforce(sleeps).tickets(ACME)
    assert route.call_count == 5 and sleeps == [1.0, 2.0, 4.0, 8.0]
