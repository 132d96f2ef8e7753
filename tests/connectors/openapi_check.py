"""Checks recorded HubSpot requests and fixture responses against HubSpot's own OpenAPI extract
(tests/connectors/openapi/hubspot-crm.openapi.json: operations copied verbatim from HubSpot's spec)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator

SPEC = Path(__file__).parent / "openapi" / "hubspot-crm.openapi.json"


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def operation(method: str, path: str) -> dict[str, Any]:
    """The spec's operation for a concrete path (`{dealId}` matches one segment); literal paths win."""
    candidates = []
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if method.lower() in item and re.match(pattern, path):
            candidates.append((template.count("{"), item[method.lower()]))
    assert candidates, f"{method} {path} is not an operation of HubSpot's spec"
    return min(candidates, key=lambda c: c[0])[1]


def _schema_errors(ref: str, value: Any) -> list[str]:
    validator = Draft7Validator({**spec(), "$ref": ref})
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(value)]


def validate_request(request: httpx.Request) -> None:
    """Method + path exist, query parameters are declared, the JSON body matches the request schema."""
    op = operation(request.method, request.url.path)
    declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    assert set(request.url.params) <= declared, f"undeclared query parameters {set(request.url.params) - declared}"
    if request.content:
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        errors = _schema_errors(ref, json.loads(request.content))
        assert not errors, f"{request.method} {request.url.path} body violates {ref}: {errors}"


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    op = operation(method, path)
    ref = op["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
    errors = _schema_errors(ref, body)
    assert not errors, f"fixture for {method} {path} {status} violates {ref}: {errors}"
