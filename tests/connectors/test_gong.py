"""Gong connector against respx fixtures shaped like Gong API v2's documented responses
(POST /v2/calls/extensive, POST /v2/calls/transcript, the {requestId, errors} error body, cursor paging)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from connectors.composite import CompositeSource, check_sources
from connectors.config import ConnectorsConfig, GongConfig, HttpConfig
from connectors.errors import SourceError
from connectors.gong import Gong, Pacer, bare_domain, parse_time
from connectors.workspace import Workspace
from skills.rules import Rules
from skills.snapshot import Source
from tests.factory import AS_OF, account, write_workspace

BASE = "https://api.gong.io"
CALLS = f"{BASE}/v2/calls/extensive"
TRANSCRIPT = f"{BASE}/v2/calls/transcript"
ENV = {"GONG_ACCESS_KEY": "gong-key", "GONG_ACCESS_KEY_SECRET": "gong-secret"}
ACME = account(account_id="0013601230sV7grAAC", name="Acme Corp", domain="https://www.acme.com/")
RULES = Rules()


def party(pid: str, name: str, email: str, title: str, affiliation: str, speaker: str | None) -> dict[str, Any]:
    return {
        "id": pid, "name": name, "emailAddress": email, "title": title, "userId": None, "speakerId": speaker,
        "affiliation": affiliation, "methods": ["Invitee", "Attendee"], "phoneNumber": None, "context": [],
    }  # fmt: skip


AE = party("56825452554556", "Jane AE", "jane@vendor.com", "Account Executive", "Internal", "6432345678555530067")
PAT = party("56825452554557", "Pat Buyer", "pat@acme.com", "VP Ops", "External", "6432345678555530068")


def call(
    call_id: str,
    started: Any = "2026-11-03T15:02:10Z",
    title: str = "Acme QBR",
    account_id: str | None = "0013601230sV7grAAC",
    system: str = "Salesforce",
    parties: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    objects = [
        {
            "objectType": "Opportunity",
            "objectId": "0063601230abcdeAAA",
            "timing": "Now",
            "fields": [{"name": "StageName", "value": "Negotiation/Review"}, {"name": "Amount", "value": 120000}],
        }
    ]
    if account_id:
        objects.insert(
            0,
            {
                "objectType": "Account",
                "objectId": account_id,
                "timing": "Now",
                "fields": [{"name": "Name", "value": "Acme Corp"}, {"name": "Website", "value": "acme.com"}],
            },
        )
    return {
        "metaData": {
            "id": call_id, "url": f"https://app.gong.io/call?id={call_id}", "title": title,
            "scheduled": "2026-11-03T15:00:00Z", "started": started, "duration": 1800,
            "primaryUserId": "234599484848423", "direction": "Conference", "system": "Zoom", "scope": "External",
            "media": "Video", "language": "eng", "workspaceId": "623457276584334", "isPrivate": False,
            "meetingUrl": "https://zoom.us/j/123", "purpose": None, "customData": None, "clientUniqueId": None,
            "sdrDisposition": None, "calendarEventId": None,
        },
        "context": [{"system": system, "objects": objects}],
        "parties": parties if parties is not None else [AE, PAT],
    }  # fmt: skip


def calls_page(calls: list[dict[str, Any]], cursor: str | None = None, total: int | None = None) -> dict[str, Any]:
    records: dict[str, Any] = {
        "totalRecords": total or len(calls),
        "currentPageSize": len(calls),
        "currentPageNumber": 0,
    }
    if cursor:
        records["cursor"] = cursor
    return {"requestId": "4al018gzaztcr8nbukw", "records": records, "calls": calls}


def transcript(call_id: str, *monologues: tuple[str, list[str]]) -> dict[str, Any]:
    return {
        "callId": call_id,
        "transcript": [
            {"speakerId": speaker, "topic": "Pricing" if i else None,
             "sentences": [{"start": 460230 + 1000 * j, "end": 460900 + 1000 * j, "text": t} for j, t in enumerate(texts)]}
            for i, (speaker, texts) in enumerate(monologues)
        ],
    }  # fmt: skip


def transcripts_page(*items: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
    records: dict[str, Any] = {"totalRecords": len(items), "currentPageSize": len(items), "currentPageNumber": 0}
    if cursor:
        records["cursor"] = cursor
    return {"requestId": "5bl118gzaztcr8nbukx", "records": records, "callTranscripts": list(items)}


def error(message: str) -> dict[str, Any]:
    return {"requestId": "4al018gzaztcr8nbukw", "errors": [message]}


QBR = transcript(
    "7782342274025937895",
    ("6432345678555530067", ["Thanks for joining.", "How is the rollout going?"]),
    ("6432345678555530068", ["Really well.", "Finance wants forecasting next quarter."]),
)


def gong(sleeps: list[float] | None = None, **config: Any) -> Gong:
    return Gong(GongConfig(**config), HttpConfig(), environ=ENV, sleep=(sleeps if sleeps is not None else []).append)


def body(route: respx.Route, n: int = 0) -> Any:
    return json.loads(route.calls[n].request.content)


@pytest.fixture
def api() -> Iterator[respx.Router]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_calls_of_the_account_become_speaker_attributed_interactions(api: respx.Router) -> None:
    api.post(CALLS).respond(200, json=calls_page([call("7782342274025937895")]))
    api.post(TRANSCRIPT).respond(200, json=transcripts_page(QBR))
    (found,) = gong().interactions(ACME, AS_OF)
    assert found.interaction_id == "gong-7782342274025937895" and found.account_id == ACME.account_id
    assert (found.source, found.provider, found.title) == ("call", "gong", "Acme QBR")
    assert found.url == "https://app.gong.io/call?id=7782342274025937895"
    assert found.ts == datetime(2026, 11, 3, 15, 2, 10)  # one convention (issue 15): UTC, held naive
    assert found.text == (
        "Jane AE (Account Executive, internal): Thanks for joining. How is the rollout going?\n"
        "Pat Buyer (VP Ops, Acme Corp): Really well. Finance wants forecasting next quarter."
    )
    assert found.cited_as == Source.gong and Source.gong.citation == "Per Gong:"


def test_requests_ask_for_the_window_with_crm_context_and_parties_under_basic_auth(api: respx.Router) -> None:
    calls = api.post(CALLS).respond(200, json=calls_page([call("1")]))
    transcripts = api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    gong(lookback_days=30, workspace_id="623457276584334").interactions(ACME, date(2026, 11, 16))
    assert body(calls) == {
        "filter": {"fromDateTime": "2026-10-17T00:00:00Z", "toDateTime": "2026-11-17T00:00:00Z",
                   "workspaceId": "623457276584334"},
        "contentSelector": {"context": "Extended", "contextTiming": ["Now"], "exposedFields": {"parties": True}},
    }  # fmt: skip
    assert body(transcripts) == {"filter": {"callIds": ["1"]}}
    expected = base64.b64encode(b"gong-key:gong-secret").decode()
    assert calls.calls[0].request.headers["Authorization"] == f"Basic {expected}"


def test_cursor_pages_repeat_the_request_with_the_cursor_at_the_top_level(api: respx.Router) -> None:
    calls = api.post(CALLS).mock(side_effect=[
        httpx.Response(200, json=calls_page([call("1")], cursor="eyJhbGciOiJIUzI1NiJ9.page2", total=2)),
        httpx.Response(200, json=calls_page([call("2", started="2026-11-04T09:00:00Z")], total=2)),
    ])  # fmt: skip
    transcripts = api.post(TRANSCRIPT).mock(side_effect=[
        httpx.Response(200, json=transcripts_page(transcript("1", ("6432345678555530068", ["First page."])),
                                                  cursor="tr-page2")),
        httpx.Response(200, json=transcripts_page(transcript("2", ("6432345678555530068", ["Second page."])))),
    ])  # fmt: skip
    found = gong().interactions(ACME, AS_OF)
    assert [(i.interaction_id, i.text) for i in found] == [
        ("gong-1", "Pat Buyer (VP Ops, Acme Corp): First page."),
        ("gong-2", "Pat Buyer (VP Ops, Acme Corp): Second page."),
    ]
    assert "cursor" not in body(calls, 0) and body(calls, 1)["cursor"] == "eyJhbGciOiJIUzI1NiJ9.page2"
    assert body(calls, 1)["filter"] == body(calls, 0)["filter"]
    assert body(transcripts, 1) == {"filter": {"callIds": ["1", "2"]}, "cursor": "tr-page2"}


def test_calls_of_other_accounts_are_left_out(api: respx.Router) -> None:
    other = party("9", "Lee Other", "lee@globex.com", "CTO", "External", "77")
    api.post(CALLS).respond(200, json=calls_page([
        call("1"), call("2", account_id="001OTHER", parties=[AE, other]), call("3", account_id=None, parties=[AE]),
    ]))  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    assert [i.interaction_id for i in gong().interactions(ACME, AS_OF)] == ["gong-1"]


def test_a_call_without_crm_link_matches_by_participant_email_domain(api: respx.Router) -> None:
    eu = party("8", "Kim Eu", "kim@eu.acme.com", "Ops", "External", "88")
    lookalike = party("7", "Sam", "sam@notacme.com", "Ops", "External", "99")
    api.post(CALLS).respond(200, json=calls_page([
        call("1", account_id=None), call("2", account_id=None, parties=[AE, eu]),
        call("3", account_id=None, parties=[AE, lookalike]),
    ]))  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    assert [i.interaction_id for i in gong().interactions(ACME, AS_OF)] == ["gong-1", "gong-2"]
    assert gong(match_domain=False).interactions(ACME, AS_OF) == []


def test_crm_system_and_crm_ids_choose_which_account_link_counts(api: respx.Router) -> None:
    api.post(CALLS).respond(200, json=calls_page([
        call("1", account_id="9001", system="HubSpot", parties=[AE]), call("2", account_id="ACC-X", parties=[AE]),
    ]))  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    acme = account(account_id="9001", domain="")
    assert [i.interaction_id for i in gong(crm_system="HubSpot").interactions(acme, AS_OF)] == ["gong-1"]
    assert gong(crm_system="Salesforce").interactions(acme, AS_OF) == []
    mapped = gong(crm_ids={"9001": "ACC-X"})
    assert [i.interaction_id for i in mapped.interactions(acme, AS_OF)] == ["gong-2"]


def test_404_no_calls_found_is_an_empty_result(api: respx.Router) -> None:
    api.post(CALLS).respond(404, json=error("No calls found corresponding to the provided filters"))
    transcripts = api.post(TRANSCRIPT)
    assert gong().interactions(ACME, AS_OF) == [] and not transcripts.called


def test_a_call_gong_has_not_transcribed_still_counts_as_contact(api: respx.Router) -> None:
    api.post(CALLS).respond(200, json=calls_page([call("1"), call("2")]))
    api.post(TRANSCRIPT).respond(200, json=transcripts_page(transcript("1", ("unknown-speaker", ["Hello there."]))))
    first, second = gong().interactions(ACME, AS_OF)
    assert first.text == "Unknown speaker: Hello there." and second.text == ""


def test_429_waits_the_retry_after_then_succeeds(api: respx.Router) -> None:
    api.post(CALLS).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "2"}, json=error("API request limit exceeded")),
        httpx.Response(200, json=calls_page([call("1")])),
    ])  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page(QBR))
    sleeps: list[float] = []
    assert len(gong(sleeps).interactions(ACME, AS_OF)) == 1
    assert 2.0 in sleeps


def test_401_names_the_key_variables(api: respx.Router) -> None:
    api.post(CALLS).respond(401, json=error("Access denied"))
    with pytest.raises(SourceError) as caught:
        gong().interactions(ACME, AS_OF)
    message = str(caught.value)
    assert message.startswith("gong: HTTP 401 unauthorized") and "Access denied" in message
    assert "GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET" in message and "gong-secret" not in message


def test_a_missing_key_variable_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="GONG_ACCESS_KEY_SECRET is not set"):
        Gong(GongConfig(), HttpConfig(), environ={"GONG_ACCESS_KEY": "k"})


def test_requests_are_paced_to_three_per_second() -> None:
    now = [10.0]
    waits: list[float] = []
    pacer = Pacer(3.0, waits.append, lambda: now[0])
    for _ in range(4):
        pacer.wait()
    assert [round(w, 3) for w in waits] == [0.333, 0.667, 1.0]
    now[0] = 20.0
    pacer.wait()
    assert len(waits) == 3  # a quiet second later, no wait


def test_paging_requests_go_through_the_pacer(api: respx.Router) -> None:
    api.post(CALLS).mock(side_effect=[
        httpx.Response(200, json=calls_page([call("1")], cursor="c2")),
        httpx.Response(200, json=calls_page([call("2")], cursor="c3")),
        httpx.Response(200, json=calls_page([call("3")])),
    ])  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    sleeps: list[float] = []
    connector = Gong(GongConfig(), HttpConfig(), environ=ENV, sleep=sleeps.append, clock=lambda: 0.0)
    assert len(connector.interactions(ACME, AS_OF)) == 3
    assert [round(s, 3) for s in sleeps] == [0.333, 0.667, 1.0]  # 3 list pages then 1 transcript request


def test_the_window_is_listed_once_for_many_accounts(api: respx.Router) -> None:
    calls = api.post(CALLS).respond(200, json=calls_page([call("1"), call("2", account_id="001BETA", parties=[AE])]))
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    connector = gong()
    beta = account(account_id="001BETA", domain="beta.example")
    assert [i.interaction_id for i in connector.interactions(ACME, AS_OF)] == ["gong-1"]
    assert [i.interaction_id for i in connector.interactions(beta, AS_OF)] == ["gong-2"]
    assert calls.call_count == 1


def test_the_window_listing_is_read_again_after_the_cache_ttl(api: respx.Router) -> None:
    calls = api.post(CALLS).mock(side_effect=[
        httpx.Response(200, json=calls_page([call("1")])),
        httpx.Response(200, json=calls_page([call("1"), call("2", started="2026-11-16T09:00:00Z")])),
    ])  # fmt: skip
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    now = [0.0]
    connector = Gong(
        GongConfig(), HttpConfig(), environ=ENV, sleep=lambda s: None, clock=lambda: now[0], window_ttl_s=300
    )
    assert len(connector.interactions(ACME, AS_OF)) == 1
    now[0] = 299.0
    assert len(connector.interactions(ACME, AS_OF)) == 1 and calls.call_count == 1
    now[0] = 301.0
    assert len(connector.interactions(ACME, AS_OF)) == 2 and calls.call_count == 2


def test_transcripts_are_fetched_in_batches_of_100(api: respx.Router) -> None:
    api.post(CALLS).respond(200, json=calls_page([call(str(n)) for n in range(150)]))
    transcripts = api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    assert len(gong().interactions(ACME, AS_OF)) == 150
    assert [len(body(transcripts, n)["filter"]["callIds"]) for n in range(2)] == [100, 50]


def test_start_times_as_iso_or_epoch_numbers() -> None:
    assert parse_time("2026-11-03T15:02:10Z") == datetime(2026, 11, 3, 15, 2, 10, tzinfo=UTC)
    assert parse_time("2026-11-03T17:02:10+02:00") == datetime(2026, 11, 3, 15, 2, 10, tzinfo=UTC)
    assert parse_time(1793718130) == parse_time(1793718130000) == datetime.fromtimestamp(1793718130, UTC)
    assert parse_time("") is None and parse_time(None) is None and parse_time("yesterday") is None
    assert bare_domain("https://www.acme.com/about") == "acme.com" == bare_domain("pat@acme.com")


def test_a_call_without_start_time_is_a_shape_error(api: respx.Router) -> None:
    broken = call("1")
    broken["metaData"]["started"] = None
    broken["metaData"]["scheduled"] = None
    api.post(CALLS).respond(200, json=calls_page([broken]))
    api.post(TRANSCRIPT).respond(200, json=transcripts_page())
    with pytest.raises(SourceError, match="call 1: no id or start time"):
        gong().interactions(ACME, AS_OF)


def test_gong_config_bounds_the_rate_and_names_env_variables() -> None:
    with pytest.raises(ValueError, match="less than or equal to 3"):
        GongConfig(requests_per_second=10)
    with pytest.raises(ValueError, match="String should match pattern"):
        GongConfig(access_key_env="not a name")
    ConnectorsConfig.model_validate({"sources": {"conversations": "gong"}})
    with pytest.raises(ValueError, match="crm cannot come from gong"):
        ConnectorsConfig.model_validate({"sources": {"crm": "gong"}})


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(write_workspace(tmp_path / "ws", [ACME], [], {}), RULES)
    yield ws
    ws.close()


GONG_SOURCES = ConnectorsConfig.model_validate({"sources": {"conversations": "gong"}})


def test_composite_reads_conversations_from_gong(api: respx.Router, workspace: Workspace) -> None:
    api.post(CALLS).respond(200, json=calls_page([call("7782342274025937895")]))
    api.post(TRANSCRIPT).respond(200, json=transcripts_page(QBR))
    source = CompositeSource(GONG_SOURCES, RULES, workspace, environ=ENV, sleep=lambda s: None)
    snap = source.snapshot(ACME.account_id, AS_OF)
    assert [i.interaction_id for i in snap.interactions] == ["gong-7782342274025937895"]
    assert snap.sources["conversations"] == "gong" and not snap.lacks(Source.conversations)


def test_a_failing_gong_gives_a_partial_snapshot_naming_the_missing_calls(
    api: respx.Router, workspace: Workspace
) -> None:
    down = api.post(CALLS).respond(500, json=error("An error has occurred"))
    source = CompositeSource(GONG_SOURCES, RULES, workspace, environ=ENV, sleep=lambda s: None)
    snap = source.snapshot(ACME.account_id, AS_OF)
    (gap,) = [m for m in snap.missing if m.kind == Source.conversations]
    assert snap.lacks(Source.conversations) and snap.interactions == () and down.call_count == 5
    assert gap.reason.startswith("gong: POST /v2/calls/extensive: HTTP 500") and "An error has occurred" in gap.reason
    assert snap.usage is not None and "conversations" not in snap.sources

    unset = CompositeSource(GONG_SOURCES, RULES, workspace, environ={}, sleep=lambda s: None)
    (gap,) = [m for m in unset.snapshot(ACME.account_id, AS_OF).missing if m.kind == Source.conversations]
    assert gap.reason == "gong: environment variable GONG_ACCESS_KEY is not set (it holds the credential)"


def test_sources_check_reports_gong(api: respx.Router, workspace: Workspace) -> None:
    api.post(CALLS).respond(404, json=error("No calls found corresponding to the provided filters"))
    checks = {c.source: c for c in check_sources(GONG_SOURCES, RULES, workspace, environ=ENV, sleep=lambda s: None)}
    assert checks["gong"].ok and checks["gong"].kinds == ("conversations",)
    assert checks["gong"].detail == "calls readable at https://api.gong.io (0 in the last day)"
    api.post(CALLS).respond(401, json=error("Access denied"))
    (failed,) = [c for c in check_sources(GONG_SOURCES, RULES, workspace, environ=ENV) if c.source == "gong"]
    assert not failed.ok and "HTTP 401" in failed.detail and "GONG_ACCESS_KEY" in failed.detail
