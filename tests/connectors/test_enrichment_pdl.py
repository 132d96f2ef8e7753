"""People Data Labs enrichment against respx fixtures shaped like PDL's documented v5 responses: company
fields at the top level, the person under `data`, errors as {"status", "error": {"type", "message"}}."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import respx

from connectors.composite import CompositeSource, check_sources
from connectors.config import ConnectorsConfig, HttpConfig, PeopleDataLabsConfig
from connectors.enrichment.pdl import PeopleDataLabs, pdl_day
from connectors.errors import SourceError
from connectors.workspace import Workspace
from skills.rules import Rules
from skills.snapshot import Contact, Source
from tests.factory import AS_OF, account, champion, event, outcome, write_workspace

BASE = "https://api.peopledatalabs.com"
ENV = {"PDL_API_KEY": "pdl-test-key-0123456789"}
NOW = datetime(2026, 11, 16, 12, 0, 0, tzinfo=UTC)
RULES = Rules()

COMPANY = {
    "status": 200, "likelihood": 8, "id": "tnHcNHbCv8MKeLh92946LAkX6PKg", "name": "acme analytics",
    "display_name": "Acme Analytics", "website": "acme.example", "linkedin_url": "linkedin.com/company/acme",
    "industry": "computer software", "size": "201-500", "employee_count": 312, "founded": 2012,
    "inferred_revenue": "$50M-$100M",
    "location": {"name": "san francisco, california, united states", "locality": "san francisco",
                 "region": "california", "country": "united states"},
    "employee_count_by_month": {"2026-08": 290, "2026-09": 301, "2026-10": 312},
    "employee_growth_rate": {"3_month": 0.07, "6_month": 0.12, "12_month": 0.21, "24_month": 0.4},
    "tags": ["saas"], "ticker": None, "type": "private", "summary": "analytics software",
}  # fmt: skip


def person(*jobs: dict[str, Any]) -> dict[str, Any]:
    current = next(j for j in reversed(jobs) if j["is_primary"])
    return {
        "status": 200, "likelihood": 9,
        "data": {
            "id": "qEnOZ5Oh0poWnQ1luFBfVw_0000", "full_name": "sarah lee", "work_email": "sarah@acme.example",
            "linkedin_url": "linkedin.com/in/sarahlee", "job_title": current["title"]["name"],
            "job_company_name": current["company"]["name"], "job_start_date": current["start_date"],
            "job_last_changed": "2026-10-01", "job_last_verified": "2026-11-01", "experience": list(jobs),
        },
    }  # fmt: skip


def job(company: str, website: str, title: str, start: str, end: str | None = None) -> dict[str, Any]:
    return {
        "company": {"name": company, "website": website, "size": "201-500"},
        "title": {"name": title, "role": "operations", "levels": []},
        "start_date": start, "end_date": end, "is_primary": end is None,
    }  # fmt: skip


def error(status: int, kind: str, message: str) -> dict[str, Any]:
    return {"status": status, "error": {"type": kind, "message": message}}


def pdl(sleeps: list[float] | None = None) -> PeopleDataLabs:
    return PeopleDataLabs(
        PeopleDataLabsConfig(), HttpConfig(), environ=ENV, sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: NOW,
    )  # fmt: skip


def sarah(email: str = "sarah@acme.example") -> Contact:
    return champion().model_copy(update={"email": email})


@pytest.fixture
def api() -> Iterator[respx.Router]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_company_enrich_gives_the_headcount_history(api: respx.Router) -> None:
    route = api.get("/v5/company/enrich", params={"website": "acme.example"}).respond(200, json=COMPANY)
    records = pdl().company(account())
    assert [(r.as_of, r.employees) for r in records] == [
        (date(2026, 8, 1), 290), (date(2026, 9, 1), 301), (date(2026, 10, 1), 312)
    ]  # fmt: skip
    assert {r.provider for r in records} == {Source.people_data_labs} and all(r.revenue is None for r in records)
    request = route.calls.last.request
    assert request.headers["X-Api-Key"] == ENV["PDL_API_KEY"]
    assert request.url.params["min_likelihood"] == "2" and "api_key" not in request.url.params


def test_company_without_history_is_dated_the_day_it_was_read(api: respx.Router) -> None:
    """Headcount Insights fields are premium: a base bundle has only today's employee_count."""
    body = {**COMPANY, "employee_count_by_month": None, "employee_growth_rate": None}
    api.get("/v5/company/enrich", params={"name": "Acme Analytics"}).respond(200, json=body)
    records = pdl().company(account(domain=""))
    assert [(r.as_of, r.employees) for r in records] == [(NOW.date(), 312)]


def test_enrich_no_match_404_is_an_empty_answer_not_an_error(api: respx.Router) -> None:
    api.get("/v5/company/enrich").respond(
        404, json=error(404, "not_found", "No records were found matching your request")
    )
    assert pdl().company(account()) == ()


def test_enrich_402_out_of_credits_stops_every_later_call(api: respx.Router) -> None:
    route = api.get("/v5/company/enrich").respond(
        402, json=error(402, "payment_required", "You have reached your account maximum (all matches used)")
    )
    provider = pdl()
    with pytest.raises(SourceError, match=r"402 payment required.*credits are used up"):
        provider.company(account())
    with pytest.raises(SourceError, match="credits are used up"):
        provider.person(sarah(), account())
    assert route.call_count == 1  # not retried, and no further calls


def test_enrich_429_waits_until_the_documented_ratelimit_reset(api: respx.Router) -> None:
    limited = {
        "x-ratelimit-reset": "2026-11-16T12:00:20Z",
        "x-ratelimit-remaining": '{"minute": 0, "day": null, "month": null}',
        "x-ratelimit-limit": '{"minute": 100, "day": null, "month": null}',
    }
    api.get("/v5/company/enrich").mock(
        side_effect=[
            respx.MockResponse(429, json=error(429, "rate_limit_error", "An error occurred due to requests hitting the API too quick"), headers=limited),
            respx.MockResponse(200, json=COMPANY, headers={"x-call-credits-spent": "1", "x-call-credits-type": "enrich_company"}),
        ]
    )  # fmt: skip
    sleeps: list[float] = []
    assert len(pdl(sleeps).company(account())) == 3
    assert sleeps == [20.0]


def test_person_enrich_gives_the_champion_s_jobs_at_the_account(api: respx.Router) -> None:
    body = person(
        job("globex", "globex.com", "operations analyst", "2019-05", "2023-01"),
        job("acme analytics", "acme.example", "operations manager", "2023-02", "2026-09"),
        job("acme analytics", "acme.example", "director of operations", "2026-10"),
        {**job("ops guild", "opsguild.org", "board member", "2026-11"), "is_primary": False},  # a side role
    )
    route = api.get("/v5/person/enrich", params={"email": "sarah@acme.example"}).respond(200, json=body)
    records = pdl().person(sarah(), account())
    assert [(r.as_of, r.champion_title, r.champion_company, r.contact_id) for r in records] == [
        (date(2019, 5, 1), "operations analyst", "globex", "C-1"),
        (date(2023, 2, 1), "operations manager", "acme analytics", "C-1"),
        (date(2026, 10, 1), "director of operations", "acme analytics", "C-1"),
    ]
    assert route.called


def test_person_without_an_email_is_not_looked_up(api: respx.Router) -> None:
    route = api.get("/v5/person/enrich").respond(200, json=person(job("acme", "acme.example", "vp", "2024")))
    assert pdl().person(sarah(email=""), account()) == ()
    assert not route.called


def test_pdl_dates_of_every_granularity() -> None:
    assert [pdl_day(v) for v in ("2023", "2023-02", "2023-02-14", "", None, "soon")] == [
        date(2023, 1, 1), date(2023, 2, 1), date(2023, 2, 14), None, None, None
    ]  # fmt: skip


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(SourceError, match="PDL_API_KEY is not set"):
        PeopleDataLabs(PeopleDataLabsConfig(), HttpConfig(), environ={})


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    records: dict[str, list[Any]] = {
        "contacts.csv": [sarah()], "outcomes.csv": [outcome(20)], "deals.csv": [], "tickets.csv": [],
        "interactions.csv": [],
    }  # fmt: skip
    ws = Workspace(write_workspace(tmp_path / "ws", [account()], [event(1, "u1")], records), RULES, None)
    yield ws
    ws.close()


def test_composite_enriches_the_snapshot_from_pdl(api: respx.Router, workspace: Workspace) -> None:
    api.get("/v5/company/enrich").respond(200, json=COMPANY)
    api.get("/v5/person/enrich").respond(200, json=person(job("initech", "initech.com", "vp operations", "2026-10")))
    source = CompositeSource(ConnectorsConfig(enrichment="pdl"), RULES, workspace, environ=ENV, sleep=lambda s: None)
    snap = source.snapshot("ACC-1", AS_OF)
    assert [r.employees for r in snap.enrichment if r.employees] == [290, 301, 312]
    assert [r.champion_company for r in snap.enrichment if r.champion_company] == ["initech"]
    assert snap.sources["enrichment"] == "people_data_labs" and not snap.missing


def test_failing_pdl_makes_a_partial_snapshot_naming_enrichment(api: respx.Router, workspace: Workspace) -> None:
    api.get("/v5/company/enrich").respond(
        401, json=error(401, "authentication_error", "Request contained a missing or invalid key")
    )
    source = CompositeSource(ConnectorsConfig(enrichment="pdl"), RULES, workspace, environ=ENV, sleep=lambda s: None)
    snap = source.snapshot("ACC-1", AS_OF)
    assert snap.enrichment == ()
    (gap,) = snap.missing
    assert gap.kind == Source.enrichment and "PDL_API_KEY" in gap.reason and "401" in gap.reason
    unconfigured = CompositeSource(ConnectorsConfig(enrichment="pdl"), RULES, workspace, environ={})
    assert "PDL_API_KEY is not set" in unconfigured.snapshot("ACC-1", AS_OF).missing[0].reason


def test_sources_check_reports_the_enrichment_provider(api: respx.Router, workspace: Workspace) -> None:
    probe = api.get("/v5/company/enrich").respond(
        404, json=error(404, "not_found", "No records were found matching your request")
    )
    (crm_line, enrichment_line) = check_sources(ConnectorsConfig(enrichment="pdl"), RULES, workspace, environ=ENV)
    assert crm_line.source == "workspace"
    assert enrichment_line.model_dump() == {
        "source": "pdl", "kinds": ("enrichment",), "ok": True,
        "detail": f"API key accepted at {BASE} (checked with a no-match lookup, which is not billed)",
    }  # fmt: skip
    assert probe.calls.last.request.url.params["name"] == "expansion-desk connection check"
    (_, failed) = check_sources(ConnectorsConfig(enrichment="pdl"), RULES, workspace, environ={})
    assert not failed.ok and "PDL_API_KEY is not set" in failed.detail


def test_answers_are_remembered_so_a_second_pull_costs_no_credits(api: respx.Router) -> None:
    company = api.get("/v5/company/enrich").respond(200, json=COMPANY)
    nobody = api.get("/v5/person/enrich").respond(
        404, json=error(404, "not_found", "No records were found matching your request")
    )
    clock = [NOW]
    provider = PeopleDataLabs(
        PeopleDataLabsConfig(answer_ttl_s=3600), HttpConfig(), environ=ENV, sleep=lambda s: None, now=lambda: clock[0]
    )
    first = provider.company(account())
    assert provider.company(account()) == first and company.call_count == 1
    assert provider.person(sarah(), account()) == provider.person(sarah(), account()) == ()
    assert nobody.call_count == 1  # a no-match is remembered too
    clock[0] = NOW.replace(hour=13, minute=0, second=1)
    provider.company(account())
    assert company.call_count == 2
