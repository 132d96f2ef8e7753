"""Gong (API v2) as the conversations source: an account's calls, with speaker-attributed transcripts.

- Calls: `POST /v2/calls/extensive` over the window [as_of − lookback_days, as_of + 1 day) with the
  Extended CRM context and the parties. Gong filters by date only, so the window's call list is read
  once per connector (all pages, cursor at the top level of the body) and matched per account: a
  call belongs to an account when its CRM context holds an Account object whose objectId is the
  account's CRM id, or (with `match_domain`) when a participant's email is at the account's domain.
- Transcripts: `POST /v2/calls/transcript` for the matched call ids; each monologue becomes a line
  "Name (Title, Company): sentences", the speaker joined from the call's parties by speakerId.
- Gong allows 3 calls per second: requests are paced here; a 429 waits its Retry-After (ApiClient).
  A 404 ("No calls found for the specified period") is an empty result, not an error.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from connectors.cache import TtlCache
from connectors.config import GongConfig, HttpConfig, env_secret
from connectors.errors import SourceError
from connectors.http import MAX_PAGES, ApiClient, Json, Pacer, Request, Sleep, dig, items
from skills.conversations.extraction import INTERNAL, speaker_label
from skills.snapshot import Account, Interaction

PROVIDER = "gong"
TRANSCRIPT_BATCH = 100
Clock = Callable[[], float]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(raw: Any) -> datetime | None:
    """Gong documents ISO-8601 strings; its examples also show epoch numbers (seconds, or milliseconds)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        seconds = raw / 1000 if raw > 1e11 else raw
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def bare_domain(value: str) -> str:
    """acme.com from "https://www.acme.com/about", "www.acme.com" or "pat@acme.com"."""
    text = value.strip().lower().split("@")[-1]
    text = text.split("://")[-1].split("/")[0].split(":")[0]
    return text.removeprefix("www.")


def _at_domain(email: Any, domain: str) -> bool:
    if not isinstance(email, str) or "@" not in email or not domain:
        return False
    host = bare_domain(email)
    return host == domain or host.endswith("." + domain)


def _next_page(request: Request, body: Json) -> Request | None:
    """`records.cursor` is present only when more pages exist; the same request goes again with it."""
    cursor = dig(body, "records", "cursor")
    return request.with_body(cursor=cursor) if isinstance(cursor, str) and cursor else None


class Gong:
    name = "gong"

    def __init__(
        self,
        config: GongConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        window_ttl_s: float = 300,
    ) -> None:
        self.config = config
        key = env_secret(config.access_key_env, self.name, environ).get_secret_value()
        secret = env_secret(config.access_key_secret_env, self.name, environ).get_secret_value()
        self.api = ApiClient(
            self.name, config.base_url, http, auth=httpx.BasicAuth(key, secret), sleep=sleep,
            on_401=f"check that {config.access_key_env} and {config.access_key_secret_env} hold an API access key "
            "and its secret (Gong: Company settings > Ecosystem > API), and that base_url is your tenant's",
            on_403="the key needs the api:calls:read:extensive and api:calls:read:transcript scopes",
        )  # fmt: skip
        self._pacer = Pacer(config.requests_per_second, sleep, clock)
        self._windows: TtlCache[tuple[str, str], list[dict[str, Any]]] = TtlCache(window_ttl_s, 8, clock)
        self._windows_lock = threading.Lock()

    def check(self) -> str:
        end = datetime.now(UTC).replace(microsecond=0)
        calls = self.calls(end - timedelta(days=1), end)
        return f"calls readable at {self.config.base_url} ({len(calls)} in the last day)"

    def interactions(self, account: Account, as_of: date) -> list[Interaction]:
        """The account's calls started in the lookback window up to `as_of`, with their transcripts."""
        end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), UTC)
        calls = [
            c for c in self.calls(end - timedelta(days=self.config.lookback_days + 1), end) if self.belongs(c, account)
        ]
        transcripts = self.transcripts([str(dig(c, "metaData", "id")) for c in calls])
        return [self._interaction(account, call, transcripts) for call in calls]

    def crm_id(self, account: Account) -> str:
        return self.config.crm_ids.get(account.account_id, account.account_id)

    def belongs(self, call: dict[str, Any], account: Account) -> bool:
        crm_id = self.crm_id(account)
        for context in call.get("context") or []:
            if not isinstance(context, dict):
                continue
            if self.config.crm_system is not None and context.get("system") != self.config.crm_system:
                continue
            for obj in context.get("objects") or []:
                if isinstance(obj, dict) and obj.get("objectType") == "Account" and str(obj.get("objectId")) == crm_id:
                    return True
        if not self.config.match_domain or not account.domain:
            return False
        domain = bare_domain(account.domain)
        return any(_at_domain(p.get("emailAddress"), domain) for p in call.get("parties") or [] if isinstance(p, dict))

    def calls(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every call started in [start, end) with CRM context and parties; read once per window and TTL."""
        key = (iso(start), iso(end))
        with self._windows_lock:
            listed = self._windows.get(key)
            if listed is None:
                filters: dict[str, Any] = {"fromDateTime": key[0], "toDateTime": key[1]}
                if self.config.workspace_id:
                    filters["workspaceId"] = self.config.workspace_id
                first = Request("POST", "/v2/calls/extensive", body={
                    "filter": filters,
                    "contentSelector": {"context": "Extended", "contextTiming": ["Now"],
                                        "exposedFields": {"parties": True}},
                })  # fmt: skip
                listed = [c for page in self._pages(first) for c in items(self.name, page, "calls")]
                self._windows.put(key, listed)
            return listed

    def transcripts(self, call_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """callId -> its monologues; calls Gong has not transcribed (yet) are absent."""
        found: dict[str, list[dict[str, Any]]] = {}
        for i in range(0, len(call_ids), TRANSCRIPT_BATCH):
            first = Request(
                "POST", "/v2/calls/transcript", body={"filter": {"callIds": call_ids[i : i + TRANSCRIPT_BATCH]}}
            )
            for page in self._pages(first):
                for t in items(self.name, page, "callTranscripts"):
                    monologues = t.get("transcript")
                    found[str(t.get("callId"))] = (
                        [m for m in monologues if isinstance(m, dict)] if isinstance(monologues, list) else []
                    )
        return found

    def close(self) -> None:
        self.api.close()

    def _pages(self, first: Request) -> Iterator[Json]:
        """Paced pages; a 404 (Gong's "No calls found") ends the listing with nothing more."""
        request: Request | None = first
        for _ in range(MAX_PAGES):
            if request is None:
                return
            self._pacer.wait()
            body = self.api.find(request)  # 404: "No calls found" in the window
            if body is None:
                return
            yield body
            request = _next_page(request, body)
        raise SourceError(self.name, f"POST {first.url}: more than {MAX_PAGES} pages; stopped")

    def _interaction(
        self, account: Account, call: dict[str, Any], transcripts: Mapping[str, list[dict[str, Any]]]
    ) -> Interaction:
        meta = call.get("metaData") if isinstance(call.get("metaData"), dict) else {}
        assert isinstance(meta, dict)
        call_id = str(meta.get("id") or "")
        started = parse_time(meta.get("started")) or parse_time(meta.get("scheduled"))
        if not call_id or started is None:
            raise SourceError(self.name, f"call {call_id or '(no id)'}: no id or start time in metaData")
        speakers = {
            str(p.get("speakerId")): self._speaker(p, account)
            for p in call.get("parties") or []
            if isinstance(p, dict) and p.get("speakerId")
        }
        lines = []
        for monologue in transcripts.get(call_id, []):
            said = " ".join(
                str(s.get("text", "")).strip() for s in monologue.get("sentences") or [] if isinstance(s, dict)
            ).strip()
            if said:
                lines.append(f"{speakers.get(str(monologue.get('speakerId')), 'Unknown speaker')}: {said}")
        return Interaction(
            interaction_id=f"gong-{call_id}",
            account_id=account.account_id,
            ts=started,
            source="call",
            text="\n".join(lines),
            title=str(meta.get("title") or ""),
            url=str(meta.get("url") or ""),
            provider=PROVIDER,
        )

    @staticmethod
    def _speaker(party: dict[str, Any], account: Account) -> str:
        """The line label: the account as company for external people, "internal" for our own."""
        name = str(party.get("name") or party.get("emailAddress") or "Unknown speaker")
        company = {"External": account.name, "Internal": INTERNAL}.get(str(party.get("affiliation")), "")
        return speaker_label(name, str(party.get("title") or ""), company)
