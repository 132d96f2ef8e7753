"""CompositeSource: kinds from different sources, partial snapshots when a source stays down, the TTL cache,
and `check_sources`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import respx

from connectors.composite import CompositeSource, SourceCheck, check_sources
from connectors.config import ConnectorsConfig
from connectors.errors import SourceError, UnknownAccountError
from connectors.usage_events import USAGE_COLUMNS
from connectors.workspace import Workspace
from skills.rules import Rules
from skills.snapshot import Deal, Source
from tests.connectors.test_hubspot import company
from tests.connectors.test_zendesk import cursor_page
from tests.connectors.test_zendesk import ticket as zendesk_ticket
from tests.factory import AS_OF, account, champion, event, interaction, outcome, ticket, write_workspace

RULES = Rules()
HUBSPOT = "https://api.hubapi.com"
ZENDESK = "https://acme.zendesk.com"
SALESFORCE = "https://acme.my.salesforce.com"
ENV = {"HUBSPOT_ACCESS_TOKEN": "pat-na1-test", "ZENDESK_EMAIL": "agent@vendor.example", "ZENDESK_API_TOKEN": "zd",
       "SALESFORCE_ACCESS_TOKEN": "sf"}  # fmt: skip
EVENTS = [event(d, f"u{d}", account_id=a) for a in ("9001", "9002") for d in range(1, 6)]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """Accounts 9001 and 9002 (the HubSpot ids) with usage, outcomes, interactions and a champion."""
    records = {
        "outcomes.csv": [outcome(20).model_copy(update={"account_id": "9001"})],
        "interactions.csv": [interaction(3).model_copy(update={"account_id": "9001"})],
        "contacts.csv": [champion().model_copy(update={"account_id": "9001"})],
        "tickets.csv": [ticket().model_copy(update={"account_id": "9002"})],
        "deals.csv": [Deal(deal_id="D-1", account_id="9001", stage="won", type="new", amount=40000)],
    }
    accounts = [account(account_id="9001", name="Acme (workspace)"), account(account_id="9002", name="Beta")]
    ws = Workspace(write_workspace(tmp_path / "ws", accounts, EVENTS, records), RULES)
    yield ws
    ws.close()


@pytest.fixture
def api() -> Iterator[respx.Router]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def config(**sources: str) -> ConnectorsConfig:
    return ConnectorsConfig.model_validate({
        "sources": sources, "zendesk": {"subdomain": "acme", "organization_ids": {"9001": 509974, "9002": 509975}},
        "salesforce": {"instance_url": SALESFORCE}, "warehouse": {"table": "usage_events"},
    })  # fmt: skip


def composite(cfg: ConnectorsConfig, ws: Workspace | None, clock: Clock | None = None) -> CompositeSource:
    return CompositeSource(cfg, RULES, ws, environ=ENV, sleep=lambda s: None, clock=clock or Clock())


def mock_hubspot(api: respx.Router) -> dict[str, respx.Route]:
    routes = {"company": api.get(f"{HUBSPOT}/crm/v3/objects/companies/9001").respond(200, json=company("9001"))}
    for kind in ("contacts", "deals"):
        routes[kind] = api.get(f"{HUBSPOT}/crm/v4/objects/companies/9001/associations/{kind}").respond(
            200, json={"results": []}
        )
    return routes


def test_workspace_only_is_the_workspace(workspace: Workspace) -> None:
    source = composite(ConnectorsConfig(), workspace)
    assert source.snapshot("9001", AS_OF) == workspace.snapshot("9001", AS_OF)
    assert list(source.snapshots(AS_OF)) == list(workspace.snapshots(AS_OF))
    assert source.default_as_of == workspace.default_as_of and source.catalog == workspace.catalog


def test_each_kind_comes_from_its_source(api: respx.Router, workspace: Workspace) -> None:
    mock_hubspot(api)
    api.get(f"{ZENDESK}/api/v2/organizations/509974/tickets.json").respond(
        200, json=cursor_page([zendesk_ticket(1, "urgent", "open")], after=None)
    )
    snap = composite(config(crm="hubspot", tickets="zendesk"), workspace).snapshot("9001", AS_OF)
    assert snap.account.name == "Acme Corp" and snap.contacts == () and snap.deals == ()
    assert [(t.ticket_id, t.priority) for t in snap.tickets] == [("1", "P1")]
    assert [o.metric for o in snap.outcomes] == ["hours_saved"] and len(snap.interactions) == 1
    assert snap.usage is not None and snap.usage.active_users_30d == 5
    assert snap.missing == ()
    assert snap.sources == {"crm": "hubspot", "support": "zendesk", "usage": "workspace:ws",
                            "conversations": "workspace:ws", "outcomes": "workspace:ws"}  # fmt: skip


@pytest.mark.parametrize(("tickets", "base", "body", "recovered"), [
    ("hubspot", HUBSPOT, {"status": "error", "message": "internal error", "correlationId": "c1",
                          "category": "INTERNAL_ERROR"}, {"results": []}),
    ("salesforce", SALESFORCE, [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
     {"totalSize": 0, "done": True, "records": []}),
    ("zendesk", ZENDESK, {"error": "ServiceUnavailable", "description": "maintenance"}, cursor_page([], after=None)),
])  # fmt: skip
def test_a_ticket_source_that_stays_down_gives_a_partial_snapshot(
    api: respx.Router, workspace: Workspace, tickets: str, base: str, body: Any, recovered: dict[str, Any]
) -> None:
    down = api.route(url__startswith=base).respond(503, json=body)
    source = composite(config(tickets=tickets), workspace)
    snap = source.snapshot("9001", AS_OF)
    assert snap.tickets == () and snap.lacks(Source.support) and down.call_count == 5
    (gap,) = snap.missing
    assert gap.kind == Source.support
    assert gap.reason.startswith(f"{tickets}: GET /") and "HTTP 503" in gap.reason and "gave up after 5" in gap.reason
    assert "support" not in snap.sources and snap.usage is not None and len(snap.outcomes) == 1

    down.respond(200, json=recovered)
    assert source.snapshot("9001", AS_OF).missing == ()  # a partial snapshot is not cached


def test_a_warehouse_that_fails_leaves_usage_unknown_for_the_book(tmp_path: Path, workspace: Workspace) -> None:
    db_path = tmp_path / "empty.duckdb"
    duckdb.connect(str(db_path)).close()
    cfg = ConnectorsConfig.model_validate({"sources": {"usage": "warehouse"}, "warehouse": {"table": "usage_events"}})
    source = CompositeSource(cfg, RULES, workspace, environ={"EXPANSION_DESK_WAREHOUSE_URL": f"duckdb:///{db_path}"})
    progress: list[tuple[int, int]] = []
    snaps = list(source.snapshots(AS_OF, progress=lambda done, total: progress.append((done, total))))
    assert [s.account_id for s in snaps] == ["9001", "9002"] and progress == [(1, 2), (2, 2)]
    for snap in snaps:
        assert snap.usage is None and [m.kind for m in snap.missing] == [Source.usage]
        assert "warehouse: query on usage_events failed" in snap.missing[0].reason


def test_a_hubspot_book_with_warehouse_usage(api: respx.Router, tmp_path: Path, workspace: Workspace) -> None:
    db_path = tmp_path / "events.duckdb"
    db = duckdb.connect(str(db_path))
    db.execute(
        f"CREATE TABLE usage_events ({', '.join(c + (' TIMESTAMP' if c == 'ts' else ' VARCHAR') for c in USAGE_COLUMNS)})"
    )
    db.executemany(f"INSERT INTO usage_events VALUES ({', '.join('?' * len(USAGE_COLUMNS))})",
                   [[e[c] or None for c in USAGE_COLUMNS] for e in EVENTS if e["account_id"] == "9001"])  # fmt: skip
    db.close()
    api.post(f"{HUBSPOT}/crm/v3/objects/companies/search").respond(
        200, json={"total": 2, "results": [company("9001"), company("9002", "Beta")]}
    )
    associations = api.route(url__regex=rf"{HUBSPOT}/crm/v4/objects/companies/900[12]/associations/\w+").respond(
        200, json={"results": []}
    )
    env = {**ENV, "EXPANSION_DESK_WAREHOUSE_URL": f"duckdb:///{db_path}"}
    source = CompositeSource(config(crm="hubspot", tickets="hubspot", usage="warehouse"), RULES, workspace, environ=env)
    snaps = list(source.snapshots(AS_OF))
    assert [(s.account.name, s.missing) for s in snaps] == [("Acme Corp", ()), ("Beta", ())]
    assert snaps[0].usage is not None and snaps[0].usage.active_users_30d == 5
    assert snaps[1].usage is not None and snaps[1].usage.active_users_30d == 0  # no events: zero, not unknown
    assert associations.call_count == 6 and snaps[0].sources["usage"] == "warehouse"


def test_the_cache_serves_a_conversation_until_the_ttl(api: respx.Router, workspace: Workspace) -> None:
    routes = mock_hubspot(api)
    clock = Clock()
    source = composite(config(crm="hubspot"), workspace, clock)
    first = source.snapshot("9001", AS_OF)
    assert source.snapshot("9001", AS_OF) is first
    assert routes["company"].call_count == 1 and routes["contacts"].call_count == 1
    clock.now += 299
    assert source.snapshot("9001", AS_OF) is first
    clock.now += 1
    assert source.snapshot("9001", AS_OF) == first
    assert routes["company"].call_count == 2 and routes["deals"].call_count == 2


def test_unknown_crm_account_is_raised_not_partial(api: respx.Router, workspace: Workspace) -> None:
    api.get(f"{HUBSPOT}/crm/v3/objects/companies/777").respond(
        404, json={"status": "error", "message": "Not found", "correlationId": "c2", "category": "OBJECT_NOT_FOUND"}
    )
    api.post(f"{HUBSPOT}/crm/v3/objects/companies/search").respond(200, json={"total": 0, "results": []})
    with pytest.raises(UnknownAccountError, match="unknown account '777'"):
        composite(config(crm="hubspot"), workspace).snapshot("777", AS_OF)


def test_a_source_without_its_credential_is_missing_evidence(workspace: Workspace) -> None:
    source = CompositeSource(config(tickets="zendesk"), RULES, workspace, environ={})
    snap = source.snapshot("9001", AS_OF)
    assert [(m.kind, m.reason) for m in snap.missing] == [
        (Source.support, "zendesk: environment variable ZENDESK_EMAIL is not set (it holds the credential)")
    ]
    with pytest.raises(SourceError, match="HUBSPOT_ACCESS_TOKEN is not set"):
        CompositeSource(config(crm="hubspot"), RULES, workspace, environ={})


def test_check_sources_reports_each_source_without_raising(api: respx.Router, workspace: Workspace) -> None:
    api.post(f"{HUBSPOT}/crm/v3/objects/companies/search").respond(200, json={"total": 1, "results": [company("9001")]})
    api.get(f"{SALESFORCE}/services/data/v62.0/query").respond(
        401, json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    )
    checks = check_sources(config(crm="hubspot", tickets="salesforce", usage="warehouse"), RULES, workspace,
                           environ=ENV, sleep=lambda s: None)  # fmt: skip
    assert [(c.source, c.kinds, c.ok) for c in checks] == [
        ("hubspot", ("crm",), True),
        ("warehouse", ("usage",), False),
        ("salesforce", ("tickets",), False),
        ("workspace", ("conversations", "outcomes"), True),
    ]
    assert checks[0].detail == "companies searchable at https://api.hubapi.com"
    assert (
        checks[1].detail
        == "warehouse: environment variable EXPANSION_DESK_WAREHOUSE_URL is not set (it holds the credential)"
    )
    assert "INVALID_SESSION_ID" in checks[2].detail and "SALESFORCE_ACCESS_TOKEN" in checks[2].detail
    assert checks[3].detail.startswith("2 accounts in ")
    assert check_sources(ConnectorsConfig(), RULES, None) == [
        SourceCheck(
            source="workspace",
            kinds=("crm", "usage", "tickets", "conversations", "outcomes"),
            ok=False,
            detail="workspace: no workspace folder given, so these data kinds have no source: set --workspace or "
            "EXPANSION_DESK_WORKSPACE, or assign them to another source in [connectors.sources] "
            "(the bundled demo is used only when nothing is configured)",
        )
    ]
