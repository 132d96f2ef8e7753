"""Every request the HubSpot and Zendesk connectors send in the tests, and every fixture body they
answer with, validated against the vendors' published OpenAPI documents (tests/connectors/openapi/,
sources in its README) with openapi-core — so a fixture can no longer drift from the real API.

The recorder wraps `httpx.Client.send` (above respx's mocked transport), so it sees exactly what the
connectors put on the wire and exactly what the fixtures return.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).parent / "openapi"
ORG_TICKETS = re.compile(r"^/api/v2/organizations/\d+/tickets$")


@cache
def hubspot_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SPECS / "hubspot-crm.openapi.json").read_text(encoding="utf-8"))
    return document


@cache
def hubspot_spec() -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(hubspot_document()))


def schema(document: dict[str, Any], name: str) -> OAS30Validator:
    """A validator for components.schemas[name], its $refs resolved inside `document`."""
    registry: Registry[Any] = Registry().with_resource("urn:doc", Resource.from_contents(document, DRAFT4))
    return OAS30Validator({"$ref": f"urn:doc#/components/schemas/{name}"}, registry=registry)


@cache
def zendesk_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SPECS / "zendesk-support.openapi.json").read_text(encoding="utf-8"))
    # Vendor quirk (README): the organization-search external_id parameter is typed integer, while
    # OrganizationObject.external_id is a string ("ACC-1"); the string form is what Zendesk matches.
    document["components"]["parameters"]["OrganizationExternalId"]["schema"] = {"type": "string"}
    # Zendesk also takes OAuth access tokens as `Authorization: Bearer` (its OAuth guide); the extract
    # declares only basicAuth, so the bearer scheme is added as an alternative here.
    document["components"]["securitySchemes"]["oauthBearer"] = {"type": "http", "scheme": "bearer"}
    document["security"] = [*document.get("security", []), {"oauthBearer": []}]
    return document


@cache
def zendesk_spec() -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(zendesk_document()))


@dataclass
class WireRequest:
    """An httpx request as openapi-core reads it, at the path the vendor's document names."""

    request: httpx.Request
    path: str

    def __post_init__(self) -> None:
        # one object: openapi-core fills in the path parameters it resolves from the document
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(self.request.url.params.multi_items())),
            header=Headers(list(self.request.headers.items())),
        )

    @property
    def host_url(self) -> str:
        return f"{self.request.url.scheme}://{self.request.url.host}"

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "")

    @property
    def body(self) -> bytes | None:
        return self.request.content or None


@dataclass
class WireResponse:
    response: httpx.Response

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str:
        return self.response.headers.get("content-type", "application/json").split(";")[0]

    @property
    def headers(self) -> Headers:
        return Headers(list(self.response.headers.items()))

    @property
    def data(self) -> bytes | None:
        return self.response.content or None


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")


def check_hubspot(request: httpx.Request, response: httpx.Response) -> None:
    """Requests always; responses when they are JSON (a text 503 comes from a proxy, not the API)."""
    path = request.url.path
    spec = hubspot_spec()
    wire = WireRequest(request, path)
    spec.validate_request(wire)
    if not _is_json(response):
        return
    if response.status_code < 400:
        spec.validate_response(wire, WireResponse(response))
    else:  # every operation's `default` is components.responses.Error, served as */* (not parsed by openapi-core)
        schema(hubspot_document(), "Error").validate(response.json())


def zendesk_path(path: str) -> str:
    """The document's path for a connector URL: Zendesk serves each endpoint with or without `.json`;
    `/api/v2/organizations/{id}/tickets` is an alternate path of List Tickets in Zendesk's reference
    (not in the extract: see README), validated against that operation."""
    path = path.removesuffix(".json")
    return "/api/v2/tickets" if ORG_TICKETS.match(path) else path


def check_zendesk(request: httpx.Request, response: httpx.Response) -> None:
    """Requests always; 2xx JSON bodies against the operation; JSON error bodies against one of the two
    documented error shapes ({"errors": [{code, title}]} or {"error", "description"})."""
    spec = zendesk_spec()
    wire = WireRequest(request, zendesk_path(request.url.path))
    spec.validate_request(wire)
    if not _is_json(response):
        return
    if response.status_code < 400:
        spec.validate_response(wire, WireResponse(response))
        return
    body = response.json()
    document = zendesk_document()
    if isinstance(body, dict) and "errors" in body:
        assert isinstance(body["errors"], list) and body["errors"], "Errors: a non-empty errors list"
        for item in body["errors"]:
            schema(document, "Error").validate(item)
    else:
        OAS30Validator(document["x-extract"]["derived_schemas"]["SearchErrorBody"]).validate(body)


SALESFORCE_QUERY = re.compile(r"^/services/data/v\d+\.\d+/query(/[0-9A-Za-z]{15,18}-\d+)?$")
SALESFORCE_RECORD = {
    "type": "object",
    "required": ["attributes"],
    "properties": {
        "attributes": {
            "type": "object",
            "required": ["type", "url"],
            "properties": {"type": {"type": "string"}, "url": {"type": "string"}},
        }
    },
}
SALESFORCE_PAGE = {
    "type": "object",
    "required": ["totalSize", "done", "records"],
    "properties": {
        "totalSize": {"type": "integer", "minimum": 0},
        "done": {"type": "boolean"},
        "records": {"type": "array", "items": SALESFORCE_RECORD},
        "nextRecordsUrl": {"type": "string", "pattern": "^/services/data/v\\d+\\.\\d+/query/"},
    },
    "if": {"properties": {"done": {"const": False}}},
    "then": {"required": ["nextRecordsUrl"]},
    "else": {"not": {"required": ["nextRecordsUrl"]}},
}
SALESFORCE_ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "object", "required": ["message", "errorCode"]},
}


def check_salesforce(request: httpx.Request, response: httpx.Response) -> None:
    """Salesforce publishes no OpenAPI document for REST query; the shapes are the REST API guide's
    (Query: GET /services/data/vXX.X/query?q=SOQL, more pages at nextRecordsUrl; errors are a list
    of {message, errorCode})."""
    path = request.url.path
    assert request.method == "GET" and SALESFORCE_QUERY.match(path), f"not a REST query call: {path}"
    if "/query/" not in path:
        assert request.url.params.get("q", "").upper().startswith("SELECT "), "a query needs q=SELECT ..."
    if not _is_json(response):
        return
    body = response.json()
    jsonschema.validate(body, SALESFORCE_PAGE if response.status_code < 400 else SALESFORCE_ERRORS)


def check(request: httpx.Request, response: httpx.Response) -> None:
    host = request.url.host
    if host == "api.hubapi.com":
        check_hubspot(request, response)
    elif host.endswith(".zendesk.com"):
        check_zendesk(request, response)
    elif host.endswith(".salesforce.com"):
        check_salesforce(request, response)
