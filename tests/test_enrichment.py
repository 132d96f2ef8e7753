"""Enrichment evidence: an `enrichment.csv` export (ZoomInfo, Clay) read with the workspace, and the
calculators on top — company growth and hiring cited by the provider's name, champion promoted (a dated
trigger with its own script) and champion left (the readiness gate fails, whatever the CRM says)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from connectors.config import ConnectorsConfig, EnrichmentConfig
from connectors.errors import DataError
from connectors.workspace import Workspace
from server.cli.app import main
from server.desk import Desk
from server.proposals import build_proposal
from server.settings import Settings
from skills.discovery.readiness_gate import readiness_gate
from skills.enrichment import champion_moves, company_growth, same_company, title_level
from skills.playbook.readiness_score import readiness_score
from skills.playbook.timing import triggers
from skills.rules import Rules
from skills.snapshot import EnrichmentRecord, MissingEvidence, Source
from skills.usage.summary import summarise_usage
from tests.factory import AS_OF, account, ago, champion, snapshot, write_csv
from tests.seed000 import ACCOUNT_ID, seed000_workspace

RULES = Rules()
COLUMNS = ["account_id", "as_of", "employees", "revenue", "hiring_open_roles", "champion_title", "champion_company"]


def row(days: int, provider: str | None = "ZoomInfo", **values: Any) -> EnrichmentRecord:
    return EnrichmentRecord(account_id="ACC-1", as_of=ago(days), provider=provider or "enrichment", **values)


def write_enrichment(folder: Path, rows: list[dict[str, Any]], provider_column: bool = True) -> None:
    write_csv(folder / "enrichment.csv", COLUMNS + (["provider"] if provider_column else []), rows)


def seed_desk(tmp_path: Path, rows: list[dict[str, Any]], **enrichment: Any) -> Desk:
    folder = seed000_workspace(tmp_path / "ws")
    write_enrichment(folder, rows)
    settings = Settings(workspace=folder, connectors=ConnectorsConfig(enrichment=EnrichmentConfig(**enrichment)))
    return Desk(settings)


def test_enrichment_csv_is_read_with_the_workspace_and_cites_the_export_s_provider(tmp_path: Path) -> None:
    desk = seed_desk(tmp_path, [
        {"account_id": ACCOUNT_ID, "as_of": "2026-05-01", "employees": 100, "provider": "ZoomInfo"},
        {"account_id": ACCOUNT_ID, "as_of": "2026-11-01", "employees": 140, "hiring_open_roles": 12, "provider": "zoominfo"},
    ])  # fmt: skip
    snap = desk.snapshot(ACCOUNT_ID)
    assert [(r.as_of, r.employees, r.provider) for r in snap.enrichment] == [
        (date(2026, 5, 1), 100, Source.zoominfo), (date(2026, 11, 1), 140, Source.zoominfo)
    ]  # fmt: skip
    signal = next(s for s in desk.assess(ACCOUNT_ID).signals if s.id == "company_growth")
    assert signal.met and signal.points == 4
    assert f"{signal.source.citation} {signal.evidence}" == (
        "Per ZoomInfo: employees grew from 100 on 2026-05-01 to 140 on 2026-11-01"
    )


def test_without_a_provider_column_the_configured_provider_is_cited(tmp_path: Path) -> None:
    folder = seed000_workspace(tmp_path / "ws")
    write_enrichment(
        folder, [{"account_id": ACCOUNT_ID, "as_of": "2026-11-01", "employees": 150}], provider_column=False
    )
    workspace = Workspace(folder, RULES, "Clay")
    (record,) = workspace.snapshot(ACCOUNT_ID, AS_OF).enrichment
    assert record.provider == Source.clay and record.provider.citation == "Per Clay:"
    growth = company_growth(workspace.snapshot(ACCOUNT_ID, AS_OF), RULES)
    assert growth is not None and growth.met
    assert growth.evidence == "employees grew from 100 at signing (CRM) to 150 on 2026-11-01"
    workspace.close()


def test_a_bad_enrichment_row_names_file_line_and_column(tmp_path: Path) -> None:
    folder = seed000_workspace(tmp_path / "ws")
    write_enrichment(folder, [
        {"account_id": ACCOUNT_ID, "as_of": "2026-11-01", "employees": "lots", "provider": "ZoomInfo"},
        {"account_id": ACCOUNT_ID, "as_of": "2026-11-01", "provider": "Crystal Ball"},
        {"account_id": "ACC-404", "as_of": "2026-11-01", "provider": "ZoomInfo"},
    ])  # fmt: skip
    with pytest.raises(DataError) as caught:
        Workspace(folder, RULES)
    shown = [str(i) for i in caught.value.issues]
    assert shown[0].startswith("enrichment.csv line 2 column 'employees'")
    assert shown[1].startswith("enrichment.csv line 3 column 'provider'") and "known: enrichment, ZoomInfo" in shown[1]
    assert shown[2] == "enrichment.csv line 4 column 'account_id': account not in accounts.csv (value 'ACC-404')"


def test_hiring_counts_as_company_growth_only_from_the_threshold() -> None:
    hiring = snapshot(enrichment=(row(10, hiring_open_roles=5),))
    growth = company_growth(hiring, RULES)
    assert growth is not None and growth.met and growth.evidence == f"5 open roles on {ago(10)}"
    few = company_growth(snapshot(enrichment=(row(10, hiring_open_roles=4),)), RULES)
    assert few is not None and not few.met


def test_enrichment_dated_after_as_of_is_not_yet_known() -> None:
    future = snapshot(enrichment=(row(-5, employees=500),))
    assert company_growth(future, RULES) is None
    signal = next(s for s in readiness_score(future, None, RULES).signals if s.id == "company_growth")
    assert (signal.met, signal.source) == (False, Source.crm)  # the CRM's own figures: no growth since signing


def test_company_growth_stays_unknown_when_the_provider_failed_and_the_crm_has_no_figures() -> None:
    acct = account(employees_at_signing=None, employees_now=None, revenue_at_signing=None, revenue_now=None)
    down = MissingEvidence(kind=Source.enrichment, reason="people_data_labs: HTTP 402 payment required")
    signal = next(
        s for s in readiness_score(snapshot(acct, missing=(down,)), None, RULES).signals if s.id == "company_growth"
    )
    assert signal.met is None and signal.points == 0 and signal.source == Source.enrichment
    assert "enrichment unavailable: people_data_labs: HTTP 402" in signal.evidence


@pytest.mark.parametrize(("title", "level"), [
    ("Ops Lead", 2), ("Operations Manager", 3), ("Director of Operations", 4), ("Vice President, Operations", 5),
    ("VP Ops", 5), ("Chief Operating Officer", 6), ("Operations", None),
])  # fmt: skip
def test_champion_title_ladder(title: str, level: int | None) -> None:
    assert title_level(title, RULES) == level


def test_same_company_ignores_suffixes_and_accepts_the_domain() -> None:
    acct = account(name="Acme Analytics, Inc.", domain="acme.example")
    assert same_company("acme analytics", acct) and same_company("ACME Analytics LLC", acct)
    assert same_company("acme.example", acct) and same_company("", acct)
    assert not same_company("Initech", acct)


def test_champion_promoted_is_a_dated_trigger_cited_by_the_provider() -> None:
    snap = snapshot(enrichment=(
        row(200, champion_title="Operations Manager", champion_company="Acme Analytics"),
        row(20, champion_title="Director of Operations", champion_company="Acme Analytics"),
    ))  # fmt: skip
    found = {t.id: t for t in triggers(snap, summarise_usage(snap, RULES), RULES)}
    promoted = found["champion_promoted"]
    assert promoted.date == ago(20) and promoted.source == Source.zoominfo
    assert f"{promoted.source.citation} {promoted.detail}" == (
        f"Per ZoomInfo: the champion was promoted from Operations Manager to Director of Operations on {ago(20)}"
    )
    assert readiness_gate(snap, RULES).passed  # a promotion keeps the champion


def test_champion_promotion_outside_the_trigger_window_or_sideways_is_no_trigger() -> None:
    old = snapshot(enrichment=(
        row(400, champion_title="Manager", champion_company="Acme Analytics"),
        row(120, champion_title="Director", champion_company="Acme Analytics"),
    ))  # fmt: skip
    sideways = snapshot(enrichment=(
        row(200, champion_title="Operations Manager", champion_company="Acme Analytics"),
        row(20, champion_title="Finance Manager", champion_company="Acme Analytics"),
    ))  # fmt: skip
    for snap in (old, sideways):
        assert "champion_promoted" not in {t.id for t in triggers(snap, summarise_usage(snap, RULES), RULES)}
    assert [m.kind for m in champion_moves(old, RULES)] == ["promoted"]
    assert champion_moves(sideways, RULES) == ()


def test_champion_left_fails_the_gate_even_when_the_crm_says_active() -> None:
    snap = snapshot(
        contacts=(champion(engaged_days_ago=10),),
        enrichment=(
            row(300, provider="LinkedIn", champion_title="Ops Lead", champion_company="Acme Analytics"),
            row(25, provider="LinkedIn", champion_title="VP Operations", champion_company="Initech"),
        ),
    )
    gate = readiness_gate(snap, RULES)
    check = next(c for c in gate.checks if c.id == "active_champion")
    assert not gate.passed and check.passed is False and check.source == Source.linkedin
    assert gate.reasons == (
        f"Per LinkedIn: the champion (was Ops Lead) works at Initech since {ago(25)} although the CRM still lists "
        "them as active — find a new champion",
    )


def test_champion_left_per_pdl_person_record_of_the_crm_contact() -> None:
    """PDL's person records carry the CRM contact id; another contact's moves do not count."""
    pdl = dict(provider="People Data Labs", champion_company="Initech", champion_title="VP")
    snap = snapshot(enrichment=(row(30, contact_id="C-1", **pdl),))
    assert not readiness_gate(snap, RULES).passed
    someone_else = snapshot(enrichment=(row(30, contact_id="C-9", **pdl),))
    assert readiness_gate(someone_else, RULES).passed


def test_champion_promoted_proposal_uses_the_promotion_script(tmp_path: Path) -> None:
    desk = seed_desk(tmp_path, [
        {"account_id": ACCOUNT_ID, "as_of": "2026-01-10", "champion_title": "Ops Lead",
         "champion_company": "Acme Analytics", "provider": "ZoomInfo"},
        {"account_id": ACCOUNT_ID, "as_of": "2026-11-09", "champion_title": "Head of Operations",
         "champion_company": "Acme Analytics", "provider": "ZoomInfo"},
    ])  # fmt: skip
    proposal = build_proposal(desk, ACCOUNT_ID, drafter="template")
    assert proposal.kind == "expansion_proposal"
    assert "champion_promoted" in [t.id for t in proposal.triggers]
    assert any(e.line.startswith("Per ZoomInfo: champion_promoted on 2026-11-09") for e in proposal.evidence_lines)
    script = next(s for s in proposal.conversation_scripts if s.trigger == "champion_promoted")
    assert "congratulations on the new role" in script.script


def test_champion_left_proposal_is_a_find_a_new_champion_brief(tmp_path: Path) -> None:
    desk = seed_desk(tmp_path, [
        {"account_id": ACCOUNT_ID, "as_of": "2026-10-20", "champion_title": "Director of Operations",
         "champion_company": "Globex"},
    ], provider="ZoomInfo")  # fmt: skip
    proposal = build_proposal(desk, ACCOUNT_ID, drafter="template")
    assert proposal.kind == "fix_footprint_first" and not proposal.gate.passed
    assert "find a new champion" in proposal.brief
    assert "Per ZoomInfo: the champion works at Globex since 2026-10-20" in proposal.brief
    assert not proposal.conversation_scripts or all(s.trigger == "check_in" for s in proposal.conversation_scripts)


def test_sources_check_lists_the_workspace_s_enrichment_export(tmp_path: Path) -> None:
    folder = seed000_workspace(tmp_path / "ws")
    write_enrichment(folder, [{"account_id": ACCOUNT_ID, "as_of": "2026-11-01", "employees": 120, "provider": "Clay"}])
    result = CliRunner().invoke(main, ["sources", "check", "--workspace", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"ok   workspace   (enrichment): 1 rows for 1 accounts in {folder / 'enrichment.csv'}" in result.stdout
