"""CRM write-back of approved proposals: a HubSpot deal (+ note) whose requests are validated against
HubSpot's OpenAPI extract, a Salesforce Opportunity upsert (+ Note), idempotent by proposal id; refused
for proposals that are not approved and for anything outside the allowlist; recorded in the store (SQLite
and PostgreSQL); reached through `review --push` (diff, then confirm) and the MCP tool `push_to_crm`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import respx
from click.testing import CliRunner

from connectors.config import ConnectorsConfig, SalesforceConfig, WritebackConfig
from connectors.crm_writeback import WriteGuard, WriteRefused
from connectors.errors import SourceError
from server.cli.proposals import COMMANDS
from server.crm_push import PushError, prepare, push
from server.desk import Desk
from server.mcp.server import build_server
from server.proposals import build_proposal
from server.settings import Settings
from server.store import ProposalStore
from skills.proposal.schema import Proposal
from tests.connectors.openapi_check import validate_request, validate_response
from tests.mcp_session import connected
from tests.seed000 import ACCOUNT_ID, seed000_workspace
from tests.test_store import postgres_schema

HUBSPOT = "https://api.hubapi.com"
SALESFORCE = "https://acme.my.salesforce.com"
ENV = {"HUBSPOT_ACCESS_TOKEN": "pat-na1-write-test", "SALESFORCE_ACCESS_TOKEN": "00Dxx!sf-token"}
STAMPS = {"createdAt": "2026-11-16T09:00:00.000Z", "updatedAt": "2026-11-16T09:00:00.000Z", "archived": False}
PROPERTY = "expansion_desk_proposal_id"


class FakeHubSpot:
    """Deals and notes as HubSpot keeps them; every request and response is checked against the spec."""

    def __init__(self, router: respx.Router) -> None:
        self.deals: dict[str, dict[str, Any]] = {}
        self.notes: dict[str, dict[str, Any]] = {}
        self.writes: list[tuple[str, str, Any]] = []
        deal = r"^/crm/v3/objects/deals/(?P<key>[^/]+)$"
        router.route(method="GET", path__regex=deal).mock(side_effect=self.get_deal)
        router.route(method="PATCH", path__regex=deal).mock(side_effect=self.patch_deal)
        router.post("/crm/v3/objects/deals").mock(side_effect=self.create("deals", self.deals))
        router.post("/crm/v3/objects/notes").mock(side_effect=self.create("notes", self.notes))

    def _answer(self, request: httpx.Request, status: int, body: dict[str, Any]) -> httpx.Response:
        validate_response(request.method, request.url.path, status, body)
        return httpx.Response(status, json=body)

    def get_deal(self, request: httpx.Request, key: str) -> httpx.Response:
        validate_request(request)
        assert request.url.params["idProperty"] == PROPERTY
        found = next((d for d in self.deals.values() if d["properties"].get(PROPERTY) == key), None)
        if found is None:
            return httpx.Response(404, json={
                "status": "error", "message": "Object not found.  objectId are usually numeric.",
                "correlationId": "0f1e2d3c-aaaa-bbbb-cccc-000000000404", "category": "OBJECT_NOT_FOUND",
            })  # fmt: skip
        wanted = request.url.params["properties"].split(",")
        shown = {k: v for k, v in found["properties"].items() if k in wanted}
        return self._answer(request, 200, {**found, "properties": shown})

    def patch_deal(self, request: httpx.Request, key: str) -> httpx.Response:
        validate_request(request)
        body = json.loads(request.content)
        self.writes.append(("PATCH", f"deals/{key}", body))
        self.deals[key]["properties"].update(body["properties"])
        return self._answer(request, 200, self.deals[key])

    def create(self, kind: str, table: dict[str, dict[str, Any]]) -> Any:
        def handler(request: httpx.Request) -> httpx.Response:
            validate_request(request)
            body = json.loads(request.content)
            self.writes.append(("POST", kind, body))
            object_id = str(18_000_000_000 + len(self.deals) + len(self.notes) + 1)
            table[object_id] = {"id": object_id, "properties": {**body["properties"], "hs_object_id": object_id},
                                **STAMPS}  # fmt: skip
            return self._answer(request, 201, table[object_id])

        return handler


@pytest.fixture(scope="module")
def proposal(tmp_path_factory: pytest.TempPathFactory) -> Proposal:
    desk = Desk(Settings(workspace=seed000_workspace(tmp_path_factory.mktemp("ws") / "ws")))
    return build_proposal(desk, ACCOUNT_ID, drafter="template")


@pytest.fixture
def store(tmp_path: Path) -> ProposalStore:
    return ProposalStore.from_settings(Settings(store_path=tmp_path / "proposals.sqlite3"))


def settings(tmp_path: Path, **writeback: Any) -> Settings:
    writeback.setdefault("target", "hubspot")
    return Settings(
        store_path=tmp_path / "proposals.sqlite3",
        connectors=ConnectorsConfig(
            writeback=WritebackConfig(**writeback), salesforce=SalesforceConfig(instance_url=SALESFORCE)
        ),
    )


def approved(store: ProposalStore, proposal: Proposal) -> str:
    proposal_id = store.save(proposal)
    store.review(proposal_id, "approve", "numbers check out")
    return proposal_id


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    with respx.mock(base_url=HUBSPOT, assert_all_called=False) as router:
        yield FakeHubSpot(router)


def test_push_creates_the_hubspot_deal_and_its_note(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot
) -> None:
    proposal_id = approved(store, proposal)
    prepared = prepare(settings(tmp_path), store, proposal_id, environ=ENV)
    deal_plan, note_plan = prepared.plan.writes
    assert (deal_plan.action, note_plan.action) == ("create", "create") and hubspot.writes == []
    close = proposal.calendar.phases[-1].end.isoformat()
    assert {c.field: c.after for c in deal_plan.changes} == {
        "dealname": "Acme Analytics — seat growth expansion", "amount": f"{proposal.proposed_expansion_value:g}",
        "closedate": f"{close}T00:00:00.000Z", "dealtype": "existingbusiness", "pipeline": "default",
        "dealstage": "appointmentscheduled", PROPERTY: proposal_id,
    }  # fmt: skip
    receipt = push(prepared, store)
    (_, _, deal), (_, _, note) = hubspot.writes
    assert deal["associations"] == [
        {"to": {"id": ACCOUNT_ID}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]}
    ]
    assert note["associations"][0]["to"] == {"id": receipt.opportunity_id}
    assert note["associations"][0]["types"][0]["associationTypeId"] == 214
    assert "<p>Expansion Desk internal prep: Acme Analytics" in note["properties"]["hs_note_body"]
    assert "discount" in note["properties"]["hs_note_body"].lower()  # the internal prep, for the sales team
    assert {(link.object, link.crm_id) for link in store.links(proposal_id)} == {
        ("deals", receipt.opportunity_id), ("notes", receipt.note_id)
    }  # fmt: skip
    assert receipt.summary().startswith(f"Proposal {proposal_id}: created hubspot deals {receipt.opportunity_id}")


def test_pushing_twice_updates_the_one_deal_and_never_duplicates(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot
) -> None:
    proposal_id = approved(store, proposal)
    first = push(prepare(settings(tmp_path), store, proposal_id, environ=ENV), store)
    (deal_id,) = hubspot.deals
    hubspot.deals[deal_id]["properties"] |= {"amount": "1", "dealstage": "contractsent"}  # edited in HubSpot
    again = prepare(settings(tmp_path), store, proposal_id, environ=ENV)
    deal_plan, note_plan = again.plan.writes
    assert (deal_plan.action, deal_plan.crm_id, note_plan.action) == ("update", deal_id, "unchanged")
    assert [(c.field, c.before, c.after) for c in deal_plan.changes] == [
        ("amount", "1", f"{proposal.proposed_expansion_value:g}")
    ]  # the stage the sales team moved the deal to is left alone
    second = push(again, store)
    assert second.opportunity_id == first.opportunity_id and second.note_id == first.note_id
    assert len(hubspot.deals) == 1 and len(hubspot.notes) == 1
    assert hubspot.writes[-1] == (
        "PATCH",
        f"deals/{deal_id}",
        {"properties": {"amount": f"{proposal.proposed_expansion_value:g}"}},
    )
    assert hubspot.deals[deal_id]["properties"]["dealstage"] == "contractsent"
    third = prepare(settings(tmp_path), store, proposal_id, environ=ENV)
    assert not third.changes_anything and [line.split(":")[1] for line in third.plan.lines()] == [" unchanged"] * 2
    third.discard()
    assert len(hubspot.writes) == 3


def test_push_is_refused_for_a_proposal_that_is_not_approved(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot
) -> None:
    draft = store.save(proposal)
    with pytest.raises(PushError, match=rf"proposal {draft} is draft: only an approved proposal can be pushed"):
        prepare(settings(tmp_path), store, draft, environ=ENV)
    declined = store.save(proposal)
    store.review(declined, "decline")
    with pytest.raises(PushError, match="is declined"):
        prepare(settings(tmp_path), store, declined, environ=ENV)
    with pytest.raises(PushError, match=r"no CRM to write to: set \[connectors.writeback\] target"):
        prepare(settings(tmp_path, target=None), store, approved(store, proposal), environ=ENV)
    assert hubspot.writes == []


def test_writes_outside_the_allowlist_are_refused_before_any_request(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot
) -> None:
    narrow = {"hubspot.deals": ("dealname", "amount"), "hubspot.notes": ("hs_note_body", "hs_timestamp")}
    with pytest.raises(PushError, match=r"writing closedate, dealstage, dealtype, expansion_desk_proposal_id, "
                                        r"pipeline on hubspot\.deals is not allowed"):  # fmt: skip
        prepare(settings(tmp_path, allowed=narrow), store, approved(store, proposal), environ=ENV)
    assert hubspot.writes == []
    guard = WriteGuard("hubspot", narrow)
    with pytest.raises(WriteRefused, match=r"writing hubspot\.companies is not allowed"):
        guard.check("companies", {"name": "Evil Corp"})
    guard.check("deals", {"amount": 1.0})


def test_a_missing_write_scope_is_named_and_nothing_is_recorded(
    tmp_path: Path, store: ProposalStore, proposal: Proposal
) -> None:
    proposal_id = approved(store, proposal)
    with respx.mock(base_url=HUBSPOT) as router:
        router.get(f"/crm/v3/objects/deals/{proposal_id}").respond(404, json={
            "status": "error", "message": "Object not found.", "correlationId": "c0ffee00-0000-0000-0000-000000000001",
            "category": "OBJECT_NOT_FOUND",
        })  # fmt: skip
        router.post("/crm/v3/objects/deals").respond(403, json={
            "status": "error", "message": "This app hasn't been granted all required scopes to make this call.",
            "correlationId": "c0ffee00-0000-0000-0000-000000000002", "category": "MISSING_SCOPES",
            "errors": [{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": ["crm.objects.deals.write"]}}],
        })  # fmt: skip
        prepared = prepare(settings(tmp_path), store, proposal_id, environ=ENV)
        with pytest.raises(SourceError, match=r"HTTP 403 forbidden .*MISSING_SCOPES.*crm\.objects\.deals\.write"):
            push(prepared, store)
    assert store.links(proposal_id) == ()


def salesforce_router(router: respx.Router, existing: dict[str, Any] | None) -> dict[str, respx.Route]:
    base = "/services/data/v62.0/sobjects"
    upsert = rf"^{base}/Opportunity/Expansion_Desk_Proposal_Id__c/prop-[0-9a-f]+$"
    found = (
        httpx.Response(200, json=existing)
        if existing
        else httpx.Response(404, json=[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    )
    return {
        "get": router.route(method="GET", path__regex=upsert).mock(return_value=found),
        "upsert": router.route(method="PATCH", path__regex=upsert).mock(
            return_value=httpx.Response(204)
            if existing
            else httpx.Response(201, json={"id": "0065g00000AbCdEAAV", "success": True, "errors": [], "created": True})
        ),
        "note": router.post(f"{base}/Note").respond(
            201, json={"id": "0025g00000XyZabAAB", "success": True, "errors": []}
        ),
    }


def test_salesforce_upserts_the_opportunity_by_external_id_then_updates_it(
    tmp_path: Path, store: ProposalStore, proposal: Proposal
) -> None:
    proposal_id = approved(store, proposal)
    config = settings(tmp_path, target="salesforce")
    with respx.mock(base_url=SALESFORCE) as router:
        routes = salesforce_router(router, None)
        receipt = push(prepare(config, store, proposal_id, environ=ENV), store)
        body = json.loads(routes["upsert"].calls.last.request.content)
        assert body == {
            "Name": "Acme Analytics — seat growth expansion", "Amount": proposal.proposed_expansion_value,
            "CloseDate": proposal.calendar.phases[-1].end.isoformat(), "Type": "Existing Customer - Upgrade",
            "StageName": "Prospecting", "AccountId": ACCOUNT_ID,
        }  # fmt: skip
        note = json.loads(routes["note"].calls.last.request.content)
        assert note["ParentId"] == "0065g00000AbCdEAAV" and note["Title"].startswith("Expansion Desk internal prep")
        assert routes["get"].calls.last.request.headers["Authorization"] == f"Bearer {ENV['SALESFORCE_ACCESS_TOKEN']}"
    assert (receipt.opportunity_id, receipt.note_id) == ("0065g00000AbCdEAAV", "0025g00000XyZabAAB")
    current = {
        "attributes": {"type": "Opportunity", "url": "/services/data/v62.0/sobjects/Opportunity/0065g00000AbCdEAAV"},
        "Id": "0065g00000AbCdEAAV", "Name": "Acme Analytics — seat growth expansion", "Amount": 1000.0,
        "CloseDate": proposal.calendar.phases[-1].end.isoformat(), "StageName": "Negotiation/Review",
        "Type": "Existing Customer - Upgrade", "AccountId": ACCOUNT_ID,
    }  # fmt: skip
    with respx.mock(base_url=SALESFORCE, assert_all_called=False) as router:
        routes = salesforce_router(router, current)
        again = prepare(config, store, proposal_id, environ=ENV)
        assert [(c.field, c.before) for c in again.plan.writes[0].changes] == [("Amount", "1000.0")]
        second = push(again, store)
        assert json.loads(routes["upsert"].calls.last.request.content) == {
            "Name": current["Name"],
            "Amount": proposal.proposed_expansion_value,
            "CloseDate": current["CloseDate"],
            "Type": current["Type"],
        }  # fmt: skip  (no StageName: the stage the sales team set stays)
        assert not routes["note"].called
    assert second.opportunity_id == receipt.opportunity_id and len(store.links(proposal_id)) == 2


cli = click.Group("expansion-desk", commands=list(COMMANDS))


def test_review_approve_push_shows_the_diff_then_asks(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "desk.toml"
    config.write_text(f'store_path = "{tmp_path / "proposals.sqlite3"}"\n[connectors.writeback]\ntarget = "hubspot"\n')
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    draft = store.save(proposal)
    said_no = CliRunner().invoke(cli, ["review", draft, "--approve", "--push", "--config", str(config)], input="n\n")
    assert said_no.exit_code == 0, said_no.output
    assert f"proposal {draft} is now approved" in said_no.stdout
    assert "create hubspot deals:" in said_no.stdout and "  amount: " in said_no.stdout
    assert "Write this to hubspot?" in said_no.stderr and "not pushed" in said_no.stderr
    assert hubspot.writes == [] and store.links(draft) == ()
    scripted = CliRunner().invoke(cli, ["review", draft, "--push", "--yes", "--config", str(config)])
    assert scripted.exit_code == 0, scripted.output
    assert re.search(rf"Proposal {draft}: created hubspot deals \d+ \(note \d+\)", scripted.stdout)
    assert len(hubspot.deals) == 1 and len(store.links(draft)) == 2
    unapproved = CliRunner().invoke(cli, ["review", store.save(proposal), "--push", "--config", str(config)])
    assert unapproved.exit_code == 2 and "only an approved proposal can be pushed" in " ".join(
        unapproved.stderr.split()
    )


def test_push_to_crm_tool_is_destructive_open_world_and_hidden_when_read_only(
    tmp_path: Path, store: ProposalStore
) -> None:
    desk = Desk(settings(tmp_path))
    with connected(build_server(desk, store)) as session:
        tool = next(t for t in session.list_tools().tools if t.name == "push_to_crm")
        annotations = tool.annotations
        assert annotations and annotations.destructive_hint and annotations.open_world_hint
        assert annotations.read_only_hint is False and annotations.idempotent_hint
    with connected(build_server(desk, store, read_only=True)) as session:
        assert "push_to_crm" not in {t.name for t in session.list_tools().tools}
        assert session.call_tool("push_to_crm", {"proposal_id": "prop-000000000000"}).is_error


def test_push_to_crm_tool_shows_the_plan_and_writes_only_on_confirm(
    tmp_path: Path, store: ProposalStore, proposal: Proposal, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    proposal_id = approved(store, proposal)
    with connected(build_server(Desk(settings(tmp_path)), store)) as session:
        planned = session.call_tool("push_to_crm", {"proposal_id": proposal_id})
        assert not planned.is_error and planned.structured_content["pushed"] is False
        assert "Not written yet" in planned.content[0].text and hubspot.writes == []
        done = session.call_tool("push_to_crm", {"proposal_id": proposal_id, "confirm": True})
        assert done.structured_content["pushed"] is True and len(hubspot.deals) == 1
        assert done.structured_content["opportunity_id"] == next(iter(hubspot.deals))
        refused = session.call_tool("push_to_crm", {"proposal_id": store.save(proposal), "confirm": True})
        assert refused.is_error and "only an approved proposal" in refused.content[0].text


@pytest.mark.postgres
def test_crm_links_are_kept_in_postgresql(proposal: Proposal) -> None:
    for pg in postgres_schema():
        proposal_id = pg.save(proposal)
        pg.link(proposal_id, "hubspot", "deals", "18000000001")
        pg.link(proposal_id, "hubspot", "deals", "18000000002")
        pg.link(proposal_id, "hubspot", "notes", "18000000003")
        assert [(link.object, link.crm_id) for link in pg.links(proposal_id)] == [
            ("deals", "18000000002"), ("notes", "18000000003")
        ]  # fmt: skip
