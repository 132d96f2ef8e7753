"""Every HubSpot and Zendesk exchange in these tests is checked against the vendor's OpenAPI document
(see vendor_specs.py): a request the real API would refuse, or a fixture it would never send, fails
the test that made it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.vendor_specs import check


@pytest.fixture(autouse=True)
def vendor_spec_conformance(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[httpx.Request, httpx.Response]]]:
    exchanges: list[tuple[httpx.Request, httpx.Response]] = []
    send = httpx.Client.send

    def recording_send(self: httpx.Client, request: httpx.Request, *args: Any, **kwargs: Any) -> httpx.Response:
        response = send(self, request, *args, **kwargs)
        response.read()
        exchanges.append((request, response))
        return response

    monkeypatch.setattr(httpx.Client, "send", recording_send)
    yield exchanges
    for request, response in exchanges:
        check(request, response)
