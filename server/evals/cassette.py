"""Recorded /v1/messages exchanges: replay them offline, or record real ones (eval `--record`).

A cassette is `cassette.json`: a list of {"request": <JSON body sent>, "response": {"status",
"headers", "body"}} in call order. Replay ignores what is asked and answers in order, so a case
pins what Claude said; running out of answers is an error the drafter falls back from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
from pydantic import BaseModel, Field


class RecordedResponse(BaseModel):
    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any


class Exchange(BaseModel):
    request: Any = None
    response: RecordedResponse


def load_cassette(path: Path) -> list[Exchange]:
    return [Exchange.model_validate(e) for e in json.loads(path.read_text(encoding="utf-8"))]


def save_cassette(path: Path, exchanges: list[Exchange]) -> None:
    path.write_text(json.dumps([e.model_dump(mode="json") for e in exchanges], indent=2) + "\n", encoding="utf-8")


def _body(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return content.decode("utf-8", "replace")


class Replay(httpx2.MockTransport):
    """Answers each request with the next recorded response."""

    def __init__(self, exchanges: list[Exchange]) -> None:
        self.remaining = list(exchanges)
        self.requests: list[Any] = []
        super().__init__(self._answer)

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(_body(request.content))
        if not self.remaining:
            return httpx2.Response(
                500,
                json={
                    "type": "error",
                    "error": {"type": "api_error", "message": "cassette exhausted: re-record this case"},
                },
            )
        recorded = self.remaining.pop(0).response
        headers = {k: v for k, v in recorded.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        if isinstance(recorded.body, str):
            return httpx2.Response(recorded.status, headers=headers, text=recorded.body)
        return httpx2.Response(recorded.status, headers=headers, json=recorded.body)


class Recorder(httpx2.BaseTransport):
    """Passes requests to the real API and keeps each exchange (the API key header is never kept)."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        response.read()
        kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after", "request-id")}
        self.exchanges.append(
            Exchange(
                request=_body(request.content),
                response=RecordedResponse(status=response.status_code, headers=kept, body=_body(response.content)),
            )
        )
        return response
