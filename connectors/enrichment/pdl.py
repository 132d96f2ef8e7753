"""People Data Labs as the enrichment provider: Company Enrichment and Person Enrichment (API v5).

`GET /v5/company/enrich?website=…` (or `name=…`) returns the company's fields at the top level;
`GET /v5/person/enrich?email=…` wraps the person in `data`. 404 means no match (not billed, not an error);
402 means the account's credits are used up: the provider then stops calling until restarted; 429 is
retried after `Retry-After`, else until `x-ratelimit-reset` (an ISO UTC time; epoch seconds on old keys).
Revenue comes back as a bucket ("$50M-$100M"), so it is not used as a figure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import httpx

from connectors.cache import TtlCache
from connectors.config import HttpConfig, PeopleDataLabsConfig, env_secret
from connectors.errors import SourceError
from connectors.http import ApiClient, ApiError, Json, Request, Sleep, dig
from skills.snapshot import Account, Contact, EnrichmentRecord, Source

NAME = "people_data_labs"
MAX_REMEMBERED = 20_000
CHECK_NAME = "expansion-desk connection check"  # a name no company has: a no-match probe PDL does not bill


def pdl_delay(response: httpx.Response, now: Callable[[], datetime]) -> float | None:
    """Seconds the 429 asks for: Retry-After, else until x-ratelimit-reset (ISO time or epoch seconds)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    reset = response.headers.get("x-ratelimit-reset")
    if reset is None:
        return None
    try:
        at = datetime.fromtimestamp(float(reset), UTC)
    except ValueError:
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
    return max(0.0, (at - now()).total_seconds())


def pdl_day(value: Any) -> date | None:
    """PDL dates come as "YYYY", "YYYY-MM" or "YYYY-MM-DD"; a partial date is its first day."""
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().split("-")
    try:
        numbers = [int(p) for p in parts[:3]] + [1] * (3 - len(parts[:3]))
        return date(numbers[0], numbers[1], numbers[2])
    except ValueError:
        return None


class PeopleDataLabs:
    name = NAME

    def __init__(
        self,
        config: PeopleDataLabsConfig,
        http: HttpConfig,
        *,
        environ: Mapping[str, str] = os.environ,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._now = now
        key = env_secret(config.api_key_env, NAME, environ).get_secret_value()
        self.api = ApiClient(
            NAME, config.base_url, http, headers={"X-Api-Key": key},
            on_401=f"check that {config.api_key_env} holds a valid People Data Labs API key",
            on_403=f"the key in {config.api_key_env} is not allowed to call this endpoint",
            sleep=sleep, pacing=lambda response: pdl_delay(response, now),
        )  # fmt: skip
        self._out_of_credits: str | None = None
        self._answers: TtlCache[tuple[str, tuple[tuple[str, str], ...]], tuple[Json]] = TtlCache(
            config.answer_ttl_s, MAX_REMEMBERED, lambda: now().timestamp()
        )

    def company(self, account: Account) -> tuple[EnrichmentRecord, ...]:
        lookup = {"website": account.domain} if account.domain else {"name": account.name}
        body = self._enrich("/v5/company/enrich", lookup)
        return () if body is None else self._company_records(account, body)

    def person(self, contact: Contact, account: Account) -> tuple[EnrichmentRecord, ...]:
        """Needs the contact's work email (PDL matches people by email, profile or full name + company)."""
        if not contact.email:
            return ()
        body = self._enrich("/v5/person/enrich", {"email": contact.email})
        data = dig(body, "data")
        return () if not isinstance(data, dict) else self._person_records(account, contact, data)

    def check(self) -> str:
        self._enrich("/v5/company/enrich", {"name": CHECK_NAME})
        return f"API key accepted at {self.config.base_url} (checked with a no-match lookup, which is not billed)"

    def close(self) -> None:
        self.api.close()

    def _enrich(self, path: str, lookup: dict[str, str]) -> Json:
        """The match, or None on PDL's 404 "no records were found"; 402 stops every later call. Answers
        are remembered for `answer_ttl_s`, so ranking the book twice (or its benchmarks) costs no credits."""
        key = (path, tuple(sorted(lookup.items())))
        if (remembered := self._answers.get(key)) is not None:
            return remembered[0]
        if self._out_of_credits is not None:
            raise SourceError(NAME, self._out_of_credits)
        params: dict[str, str | int] = {**lookup, "min_likelihood": self.config.min_likelihood}
        try:
            body = self.api.send(Request("GET", path, params))
        except ApiError as exc:
            if exc.status == 404:
                self._answers.put(key, (None,))
                return None
            if exc.status == 402:
                self._out_of_credits = (
                    "HTTP 402 payment required: the account's enrichment credits are used up; "
                    "no further lookups until credits are added (then restart)"
                )
                raise SourceError(NAME, self._out_of_credits) from None
            raise
        self._answers.put(key, (body,))
        return body

    def _company_records(self, account: Account, body: dict[str, Any]) -> tuple[EnrichmentRecord, ...]:
        by_month = body.get("employee_count_by_month")
        records = []
        if isinstance(by_month, dict):
            for month, count in sorted(by_month.items()):
                day = pdl_day(month)
                if day is not None and isinstance(count, int):
                    records.append(self._record(account, day, employees=count))
        count = body.get("employee_count")
        if isinstance(count, int) and not any(r.employees == count for r in records[-1:]):
            records.append(self._record(account, self._now().date(), employees=count))
        return tuple(records)

    def _person_records(self, account: Account, contact: Contact, data: dict[str, Any]) -> tuple[EnrichmentRecord, ...]:
        """One record per job (title and company from its start date on): past jobs and the primary current
        one; the current job alone when PDL gives no history."""
        jobs = []
        for job in data.get("experience") or ():
            start = pdl_day(job.get("start_date")) if isinstance(job, dict) else None
            side_role = isinstance(job, dict) and not job.get("is_primary") and not job.get("end_date")
            if start is not None and not side_role:  # an ongoing secondary role (a board seat) is not a move
                company = dig(job, "company", "name") or dig(job, "company", "website") or ""
                jobs.append((start, str(dig(job, "title", "name") or ""), str(company)))
        if not jobs:
            start = pdl_day(data.get("job_start_date")) or pdl_day(data.get("job_last_changed"))
            company = data.get("job_company_name") or data.get("job_company_website") or ""
            if start is None or not (data.get("job_title") or company):
                return ()
            jobs.append((start, str(data.get("job_title") or ""), str(company)))
        return tuple(
            self._record(account, start, champion_title=title, champion_company=company, contact_id=contact.contact_id)
            for start, title, company in sorted(jobs)
        )

    def _record(self, account: Account, day: date, **values: Any) -> EnrichmentRecord:
        return EnrichmentRecord(account_id=account.account_id, as_of=day, provider=Source.people_data_labs, **values)
