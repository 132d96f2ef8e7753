"""The one JSON client every API connector uses: bounded retries that honour the server's pacing,
bounded concurrency per API, paging, and errors that say what to check.

Retries cover 429, 5xx and transport errors; a wait is the server's Retry-After (or HubSpot's
rate-limit window) when given, else exponential backoff capped at `max_backoff_s`. The waits of one
call never add up to more than `max_total_wait_s`: a server asking for more (a daily limit) makes
the call fail at once rather than stall a conversation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
import tenacity

from connectors.config import HttpConfig, env_secret
from connectors.errors import SourceError

log = logging.getLogger(__name__)
Json = Any
Sleep = Callable[[float], None]
MAX_PAGES = 1000


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    params: Mapping[str, str | int] | None = None
    body: Json = None

    def with_params(self, **params: str | int) -> Request:
        return replace(self, params={**(self.params or {}), **params})

    def with_body(self, **fields: Json) -> Request:
        return replace(self, body={**(self.body or {}), **fields})


class Pacer:
    """At most `per_second` calls per second across threads: each `wait` sleeps until its slot."""

    def __init__(self, per_second: float, sleep: Sleep, clock: Callable[[], float]) -> None:
        self.interval = 1.0 / per_second
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


NextRequest = Callable[[Request, Json], Request | None]
"""Given a request and its response body, the request for the next page, or None on the last."""


class ApiError(SourceError):
    """An HTTP error response that retrying cannot fix (4xx other than 429)."""

    def __init__(self, source: str, status: int, message: str) -> None:
        self.status = status
        super().__init__(source, message)


class _Retryable(Exception):
    def __init__(self, problem: str, delay: float | None) -> None:
        self.problem = problem
        self.delay = delay
        super().__init__(problem)


def bearer(token_env: str, source: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The Authorization header for the token in environment variable `token_env`."""
    return {"Authorization": f"Bearer {env_secret(token_env, source, environ).get_secret_value()}"}


def dig(body: Json, *keys: str) -> Json:
    """`body[k1][k2]…`, or None where any level is absent or not an object."""
    for key in keys:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def items(source: str, body: Json, key: str) -> list[dict[str, Any]]:
    """The list of objects under `key`; a body without it is a shape error, not an empty result."""
    found = dig(body, key)
    if not isinstance(found, list):
        raise SourceError(source, f"unexpected response: no {key!r} list in {str(body)[:200]!r}")
    return [item for item in found if isinstance(item, dict)]


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def hubspot_window(response: httpx.Response) -> float | None:
    """HubSpot says "no requests left in this window" with Remaining = 0 and the window length."""
    if response.headers.get("X-HubSpot-RateLimit-Remaining") != "0":
        return None
    millis = _seconds(response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
    return None if millis is None else millis / 1000


def server_delay(response: httpx.Response) -> float | None:
    """How long the server asks us to wait (Retry-After seconds, else HubSpot's window), if it says."""
    return _seconds(response.headers.get("Retry-After")) or hubspot_window(response)


def error_detail(response: httpx.Response) -> str:
    """The vendor's own words: Salesforce [{errorCode, message}], HubSpot/Zendesk objects, or plain text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, list):
        return "; ".join(f"{e.get('errorCode', '')}: {e.get('message', '')}" for e in body if isinstance(e, dict))[:300]
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):  # Zendesk's {"errors": [{"code", "title", "detail"}]}
            return (
                "; ".join(
                    ": ".join(str(e[k]) for k in ("code", "title", "detail") if isinstance(e.get(k), str))
                    for e in body["errors"]
                    if isinstance(e, dict)
                )[:300]
                or str(body)[:300]
            )
        keys = ("category", "errorType", "error", "message", "description")
        return ": ".join(str(body[k]) for k in keys if isinstance(body.get(k), str))[:300] or str(body)[:300]
    return str(body)[:300]


class ApiClient:
    """A sync httpx client for one API; thread-safe, so book-wide pulls may share it."""

    def __init__(
        self,
        source: str,
        base_url: str,
        config: HttpConfig,
        *,
        on_401: str,
        on_403: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        sleep: Sleep = time.sleep,
        pacing: Callable[[httpx.Response], float | None] = server_delay,
    ) -> None:
        self.source = source
        self._pacing = pacing  # how long a 429/5xx response asks us to wait; vendors say it differently
        self.config = config
        self.on_401, self.on_403 = on_401, on_403
        self._client = httpx.Client(
            base_url=base_url, headers=dict(headers or {}), auth=auth, timeout=config.timeout_s, follow_redirects=False
        )
        self._slots = threading.Semaphore(config.max_concurrency)
        self._sleep = sleep
        self._pause_lock = threading.Lock()
        self._pause = 0.0

    def find(self, request: Request) -> Json:
        """Like `send`, but None when the record or page does not exist (404) instead of an error."""
        try:
            return self.send(request)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def send(self, request: Request) -> Json:
        """The JSON body of `request`, retried within the configured bounds; SourceError otherwise."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=self._stop,
            wait=self._delay,
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(request, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, request)
        except _Retryable as exc:
            asked = f" (the server asks to wait {exc.delay:g} s)" if exc.delay is not None else ""
            why = (
                f"gave up after {self.config.max_attempts} attempt(s)"
                if retrying.statistics.get("attempt_number", 0) >= self.config.max_attempts
                else f"the next wait would pass max_total_wait_s={self.config.max_total_wait_s:g}{asked}"
            )
            raise SourceError(self.source, f"{request.method} {_path(request)}: {exc.problem}; {why}") from None

    def pages(self, first: Request, next_request: NextRequest) -> Iterator[Json]:
        """Every page body from `first` on, following the vendor's paging via `next_request`."""
        request: Request | None = first
        for _ in range(MAX_PAGES):
            if request is None:
                return
            body = self.send(request)
            yield body
            request = next_request(request, body)
        if request is not None:
            raise SourceError(self.source, f"{first.method} {_path(first)}: more than {MAX_PAGES} pages; stopped")

    def close(self) -> None:
        self._client.close()

    def _attempt(self, request: Request) -> Json:
        self._wait_for_window()
        with self._slots:
            try:
                response = self._client.request(request.method, request.url, params=request.params, json=request.body)
            except httpx.TransportError as exc:
                raise _Retryable(
                    f"cannot reach {self._client.base_url.host}: {type(exc).__name__} {exc}", None
                ) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code} ({error_detail(response)})", self._pacing(response))
        if response.is_error:
            raise ApiError(self.source, response.status_code, self._explain(request, response))
        if (window := hubspot_window(response)) is not None:
            with self._pause_lock:
                self._pause = max(self._pause, window)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise SourceError(self.source, f"{request.method} {_path(request)}: expected JSON, got {kind}") from None

    def _wait_for_window(self) -> None:
        """After a response said the rate-limit window is used up, the next request waits it out."""
        with self._pause_lock:
            pause, self._pause = self._pause, 0.0
        if pause:
            self._sleep(pause)

    def _explain(self, request: Request, response: httpx.Response) -> str:
        detail, status = error_detail(response), response.status_code
        if status == 401:
            return f"HTTP 401 unauthorized ({detail}); {self.on_401}"
        if status == 403:
            return f"HTTP 403 forbidden ({detail}); {self.on_403}"
        if status == 404:
            return f"HTTP 404 not found: {request.method} {_path(request)} ({detail})"
        return f"HTTP {status} on {request.method} {_path(request)} ({detail})"

    def _delay(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.delay is not None:
            return exc.delay
        return float(min(self.config.max_backoff_s, 2 ** (state.attempt_number - 1)))

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        over_budget = state.idle_for + self._delay(state) > self.config.max_total_wait_s
        return state.attempt_number >= self.config.max_attempts or over_budget

    def _log_retry(self, request: Request, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s %s failed (%s); retry %d/%d in %.1f s",
            self.source, request.method, _path(request), exc, state.attempt_number,
            self.config.max_attempts - 1, self._delay(state),
        )  # fmt: skip


def _path(request: Request) -> str:
    """The URL path only: query strings may carry customer data and never belong in messages."""
    return httpx.URL(request.url).path
