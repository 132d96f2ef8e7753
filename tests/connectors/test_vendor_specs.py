"""The conformance check itself (conftest.py applies it to every exchange): it refuses the drift
issue 15 found, so a passing connector test means a request and a fixture the real API would accept."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema.exceptions import ValidationError
from openapi_core.exceptions import OpenAPIError

from tests.connectors.vendor_specs import check

HUBSPOT = "https://api.hubapi.com"
SEARCH = {"filterGroups": [], "properties": ["name"], "limit": 200, "sorts": ["hs_object_id"], "after": "0"}
STAMPS = {"createdAt": "2023-01-05T10:00:00.000Z", "updatedAt": "2024-06-01T12:00:00.000Z", "archived": False}
BATCH = {"status": "COMPLETE", "startedAt": "2024-06-01T12:00:00.000Z", "completedAt": "2024-06-01T12:00:01.000Z"}


def exchange(method: str, url: str, body: Any, status: int, answer: Any) -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request(
        method, url, content=json.dumps(body).encode() if body is not None else b"",
        headers={"content-type": "application/json", "Authorization": "Bearer pat-x"} if body is not None
        else {"Authorization": "Basic eDp5"},
    )  # fmt: skip
    return request, httpx.Response(status, json=answer, request=request)


def test_a_conforming_search_passes() -> None:
    check(*exchange("POST", f"{HUBSPOT}/crm/v3/objects/companies/search", SEARCH, 200,
                    {"total": 1, "results": [{"id": "1", "properties": {"name": "A"}, **STAMPS}]}))  # fmt: skip


@pytest.mark.parametrize("missing", ["sorts", "after", "limit"])
def test_search_without_a_required_field_is_refused(missing: str) -> None:
    body = {k: v for k, v in SEARCH.items() if k != missing}
    with pytest.raises(OpenAPIError):
        check(*exchange("POST", f"{HUBSPOT}/crm/v3/objects/companies/search", body, 200, {"total": 0, "results": []}))


def test_batch_read_without_started_and_completed_is_refused() -> None:
    body = {"properties": ["dealname"], "propertiesWithHistory": [], "inputs": [{"id": "1"}]}
    with pytest.raises(OpenAPIError):
        check(*exchange("POST", f"{HUBSPOT}/crm/v3/objects/deals/batch/read", body, 200,
                        {"status": "COMPLETE", "results": []}))  # fmt: skip
    check(*exchange("POST", f"{HUBSPOT}/crm/v3/objects/deals/batch/read", body, 200, {**BATCH, "results": []}))


def test_hubspot_error_body_needs_its_category() -> None:
    body = {"status": "error", "message": "slow down", "errorType": "RATE_LIMIT", "correlationId": "c"}
    with pytest.raises(ValidationError, match="category"):
        check(*exchange("GET", f"{HUBSPOT}/crm/v3/objects/companies/1", None, 429, body))


def test_zendesk_errors_list_needs_code_and_title() -> None:
    url = "https://acme.zendesk.com/api/v2/tickets.json"
    check(*exchange("GET", url, None, 400, {"errors": [{"code": "Invalid", "title": "Invalid cursor"}]}))
    with pytest.raises(ValidationError):
        check(*exchange("GET", url, None, 400, {"errors": [{"detail": "no code"}]}))


def test_salesforce_pages_follow_the_rest_guide_shape() -> None:
    url = "https://acme.my.salesforce.com/services/data/v62.0/query?q=SELECT+Id+FROM+Account"
    page = {"totalSize": 1, "done": True, "records": [{"attributes": {"type": "Account", "url": "/x"}, "Id": "1"}]}
    check(*exchange("GET", url, None, 200, page))
    with pytest.raises(ValidationError, match="nextRecordsUrl"):
        check(*exchange("GET", url, None, 200, {**page, "done": False}))
