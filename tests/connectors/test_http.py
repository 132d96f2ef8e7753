"""The shared API client: pacing headers, retry bounds, transport errors, bodies that are not JSON, concurrency."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import respx

from connectors.config import HttpConfig
from connectors.errors import SourceError
from connectors.http import ApiClient, Request

BASE = "https://api.example.test"


def client(sleeps: list[float], **http: float) -> ApiClient:
    return ApiClient("demoapi", BASE, HttpConfig(**http), on_401="check DEMO_TOKEN", on_403="needs scope x",
                     sleep=sleeps.append)  # fmt: skip


@respx.mock(base_url=BASE)
def test_used_up_hubspot_window_pauses_the_next_request(respx_mock: respx.Router) -> None:
    headers = {"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    respx_mock.get("/a").respond(200, json={"n": 1}, headers=headers)
    respx_mock.get("/b").respond(200, json={"n": 2})
    sleeps: list[float] = []
    api = client(sleeps)
    assert api.send(Request("GET", "/a")) == {"n": 1}
    assert sleeps == []
    assert api.send(Request("GET", "/b")) == {"n": 2}
    assert sleeps == [10.0]


@respx.mock(base_url=BASE)
def test_retry_after_beyond_max_backoff_fails_at_once(respx_mock: respx.Router) -> None:
    route = respx_mock.get("/a").respond(429, headers={"Retry-After": "3600"}, text="daily limit")
    sleeps: list[float] = []
    with pytest.raises(
        SourceError, match=r"the next wait would pass max_total_wait_s=120 \(the server asks to wait 3600 s\)"
    ):
        client(sleeps).send(Request("GET", "/a"))
    assert sleeps == [] and route.call_count == 1


@respx.mock(base_url=BASE)
def test_transport_errors_are_retried_with_backoff_then_reported(respx_mock: respx.Router) -> None:
    respx_mock.get("/a").mock(side_effect=httpx.ConnectError("connection refused"))
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"demoapi: GET /a: cannot reach api.example.test.*gave up after 4 attempt"):
        client(sleeps, max_attempts=4, max_backoff_s=3).send(Request("GET", "/a"))
    assert sleeps == [1.0, 2.0, 3.0]


@respx.mock(base_url=BASE)
def test_a_non_json_success_body_is_an_error_naming_its_type(respx_mock: respx.Router) -> None:
    respx_mock.get("/a").respond(200, text="<html>login</html>", headers={"content-type": "text/html"})
    with pytest.raises(SourceError, match="expected JSON, got text/html"):
        client([]).send(Request("GET", "/a"))


@respx.mock(base_url=BASE)
def test_query_strings_stay_out_of_error_messages(respx_mock: respx.Router) -> None:
    respx_mock.get("/a").respond(400, json={"message": "bad filter"})
    with pytest.raises(SourceError) as caught:
        client([]).send(Request("GET", "/a", {"q": "SELECT Name FROM Account WHERE Name = 'Secret Co'"}))
    assert "Secret Co" not in str(caught.value) and "bad filter" in str(caught.value)


@respx.mock(base_url=BASE)
def test_requests_in_flight_stay_within_max_concurrency(respx_mock: respx.Router) -> None:
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.03)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json={})

    respx_mock.get("/a").mock(side_effect=slow)
    api = client([], max_concurrency=2)
    threads = [threading.Thread(target=api.send, args=(Request("GET", "/a"),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["peak"] == 2


@respx.mock(base_url=BASE)
def test_backoff_stops_when_the_total_wait_budget_is_spent(respx_mock: respx.Router) -> None:
    route = respx_mock.get("/a").respond(502, text="bad gateway")
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=r"HTTP 502 \(bad gateway\); the next wait would pass max_total_wait_s=5$"):
        client(sleeps, max_attempts=10, max_total_wait_s=5).send(Request("GET", "/a"))
    assert sleeps == [1.0, 2.0] and route.call_count == 3
