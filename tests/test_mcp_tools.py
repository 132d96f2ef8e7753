"""The MCP server as a client sees it, in process: the SDK's own `Client` over the server object on the
bundled demo workspace (fast, and visible to coverage). test_mcp_stdio.py and test_mcp_http.py keep one
subprocess per transport."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp import MCPError

from server.cli import main
from server.desk import Desk
from server.mcp.server import build_server
from server.proposals import build_proposal
from server.settings import Settings
from server.store import ProposalStore
from skills.assessment import AccountAssessment
from tests.mcp_session import (
    CRM_TOOLS,
    PROMPTS,
    READ_TOOLS,
    SAVING_TOOLS,
    SKILL_FOLDERS,
    Session,
    connected,
    sample_calls,
)

SNAPSHOT = Path(__file__).parent / "snapshots" / "list_tools.json"


@pytest.fixture(scope="module")
def desk() -> Desk:
    return Desk(Settings())


@pytest.fixture(scope="module")
def top(desk: Desk) -> AccountAssessment:
    return desk.rank(limit=1)[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stdio")


@pytest.fixture(scope="module")
def store(workdir: Path) -> ProposalStore:
    return ProposalStore.from_settings(Settings(store_path=workdir / "proposals.sqlite3"))


@pytest.fixture(scope="module")
def mcp(desk: Desk, store: ProposalStore) -> Iterator[Session]:
    with connected(build_server(desk, store)) as session:
        yield session


def listed_tools(session: Session) -> list[dict[str, Any]]:
    """What `tools/list` tells a client about each tool, as pinned in tests/snapshots/list_tools.json."""
    return [
        tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        for tool in sorted(session.list_tools().tools, key=lambda t: t.name)
    ]


def test_tool_list_matches_the_pinned_snapshot(mcp: Session) -> None:
    """A tool's name, description, schemas or annotations change only on purpose: rerun with
    UPDATE_SNAPSHOTS=1 to rewrite the snapshot, and review its diff."""
    tools = listed_tools(mcp)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(tools, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    assert tools == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_read_only_server_offers_no_tool_that_writes(desk: Desk, store: ProposalStore) -> None:
    with connected(build_server(desk, store, read_only=True)) as session:
        tools = session.list_tools().tools
        assert {t.name for t in tools} == READ_TOOLS
        assert all(t.annotations and t.annotations.read_only_hint for t in tools)
        refused = session.call_tool("build_proposal", {"account_id": "ACC-00001"})
        assert refused.is_error


def test_identifies_itself_with_workflow_instructions(mcp: Session) -> None:
    assert mcp.server_info.name == "expansion-desk"
    assert "readiness gate" in (mcp.instructions or "")


def test_lists_tools_with_input_and_output_schemas(mcp: Session) -> None:
    tools = {t.name: t for t in mcp.list_tools().tools}
    assert set(tools) == READ_TOOLS | SAVING_TOOLS | CRM_TOOLS
    for name, tool in tools.items():
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        assert tool.annotations and tool.annotations.read_only_hint is (name in READ_TOOLS), name
        assert len(tool.description or "") > 150, name
    assert tools["score_account"].input_schema["required"] == ["account_id"]
    assert set(tools["pull_usage"].input_schema["properties"]) == {"account_id", "window_days", "as_of"}


def test_every_tool_returns_structured_content_and_a_summary(mcp: Session, desk: Desk) -> None:
    for name, arguments in sample_calls(desk).items():
        result = mcp.call_tool(name, arguments)
        assert not result.is_error, (name, result.content)
        summary, mirror = result.content
        assert summary.text.strip(), name
        assert json.loads(mirror.text) == result.structured_content, name


def test_score_account_is_the_cli_json(mcp: Session, desk: Desk, top: AccountAssessment) -> None:
    result = mcp.call_tool("score_account", {"account_id": top.account_id})
    expected = desk.assess(top.account_id)
    assert result.structured_content["score"] == expected.score
    assert result.structured_content == expected.model_dump(mode="json")
    assert f"readiness score {expected.score}" in result.content[0].text


def test_score_account_replays_another_day(mcp: Session, desk: Desk, top: AccountAssessment) -> None:
    result = mcp.call_tool("score_account", {"account_id": top.account_id, "as_of": "2026-09-01"})
    assert result.structured_content["as_of"] == "2026-09-01"
    assert result.structured_content["score"] == desk.assess(top.account_id, "2026-09-01").score


def test_rank_accounts_is_best_first_and_filtered(mcp: Session, desk: Desk) -> None:
    result = mcp.call_tool("rank_accounts", {"segment": "enterprise", "limit": 10}).structured_content
    expected = desk.rank(segment="enterprise")
    assert result["total"] == len(expected)
    rows = result["accounts"]
    assert [r["account_id"] for r in rows] == [a.account_id for a in expected[:10]]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["segment"] == "enterprise" for r in rows)
    keys = [(-r["score"], -r["proposed_expansion_value"]) for r in rows]
    assert keys == sorted(keys)


def test_rank_accounts_with_no_match_says_so(mcp: Session) -> None:
    result = mcp.call_tool("rank_accounts", {"csm_owner": "Nobody At All"})
    assert not result.is_error and result.structured_content["accounts"] == []
    assert "No accounts match" in result.content[0].text


def test_find_account_turns_a_name_into_an_id(mcp: Session, top: AccountAssessment) -> None:
    result = mcp.call_tool("find_account", {"query": top.name.lower()})
    assert result.structured_content["matches"][0]["account_id"] == top.account_id
    assert top.account_id in result.content[0].text


def test_pull_crm_and_usage_agree_with_the_score(mcp: Session, desk: Desk, top: AccountAssessment) -> None:
    crm = mcp.call_tool("pull_crm", {"account_id": top.account_id}).structured_content
    snapshot = desk.snapshot(top.account_id)
    assert crm["account"]["account_id"] == top.account_id
    assert len(crm["contacts"]) == len(snapshot.contacts) and len(crm["deals"]) == len(snapshot.deals)
    usage = mcp.call_tool("pull_usage", {"account_id": top.account_id, "window_days": 90}).structured_content
    assert usage["usage"]["utilisation"] == top.utilisation
    assert usage["usage"]["active_users_30d"] == top.active_users_30d
    assert len(usage["capacity_history"]) == len(snapshot.usage.capacity_history if snapshot.usage else ())


def test_build_proposal_saves_the_desk_s_draft(mcp: Session, desk: Desk, store: ProposalStore) -> None:
    account_id = desk.rank(limit=2)[1].account_id
    result = mcp.call_tool("build_proposal", {"account_id": account_id, "drafter": "template"})
    saved = result.structured_content
    expected = build_proposal(desk, account_id, drafter="template")
    assert saved["status"] == "draft" and saved["proposal"]["requires_csm_review"] is True
    assert saved["proposal"] == expected.model_dump(mode="json")
    assert saved["proposal_id"] in result.content[0].text and "CSM review" in result.content[0].text
    assert store.get(saved["proposal_id"]).record.status == "draft"


def test_record_review_follows_the_csm_decision(mcp: Session, top: AccountAssessment) -> None:
    built = mcp.call_tool("build_proposal", {"account_id": top.account_id, "drafter": "template"})
    proposal_id = built.structured_content["proposal_id"]
    approved = mcp.call_tool("record_review", {"proposal_id": proposal_id, "action": "approve", "note": "Go."})
    review = approved.structured_content
    assert not approved.is_error
    assert (review["proposal_id"], review["status"], review["note"]) == (proposal_id, "approved", "Go.")
    again = mcp.call_tool("record_review", {"proposal_id": proposal_id, "action": "approve", "note": ""})
    assert again.is_error and "is approved" in again.content[0].text
    unknown = mcp.call_tool("record_review", {"proposal_id": "prop-missing", "action": "decline"})
    assert unknown.is_error and "build_proposal" in unknown.content[0].text


def test_list_and_get_proposals_read_the_store(mcp: Session, top: AccountAssessment) -> None:
    built = mcp.call_tool("build_proposal", {"account_id": top.account_id, "drafter": "template"})
    proposal_id = built.structured_content["proposal_id"]
    queue = mcp.call_tool("list_proposals", {})
    assert not queue.is_error and proposal_id in [r["id"] for r in queue.structured_content["proposals"]]
    assert "drafts awaiting review" in queue.content[0].text
    history = mcp.call_tool("list_proposals", {"account_id": top.account_id})
    assert history.structured_content["proposals"][0]["id"] == proposal_id
    got = mcp.call_tool("get_proposal", {"proposal_id": proposal_id})
    assert not got.is_error and got.structured_content["record"]["status"] == "draft"
    assert got.structured_content["proposal"] == built.structured_content["proposal"]
    missing = mcp.call_tool("get_proposal", {"proposal_id": "prop-missing"})
    assert missing.is_error and "build_proposal" in missing.content[0].text


def test_an_offer_override_that_does_not_apply_is_explained(mcp: Session, desk: Desk) -> None:
    home_only = next(a for a in desk.rank() if a.usage is not None and not a.usage.other_regions)
    result = mcp.call_tool(
        "build_proposal", {"account_id": home_only.account_id, "expansion_type": "geographic_expansion"}
    )
    assert result.is_error and "Omit expansion_type" in result.content[0].text


def test_unknown_account_names_the_closest_accounts(mcp: Session, top: AccountAssessment) -> None:
    result = mcp.call_tool("score_account", {"account_id": top.name.upper()})
    message = result.content[0].text
    assert result.is_error
    assert f"{top.account_id} ({top.name})" in message and "find_account" in message
    assert "Traceback" not in message


def test_bad_date_is_named(mcp: Session, top: AccountAssessment) -> None:
    result = mcp.call_tool("score_account", {"account_id": top.account_id, "as_of": "2026-02-30"})
    assert result.is_error and "'2026-02-30'" in result.content[0].text and "YYYY-MM-DD" in result.content[0].text


def test_unsupported_usage_window_is_refused_clearly(mcp: Session, top: AccountAssessment) -> None:
    result = mcp.call_tool("pull_usage", {"account_id": top.account_id, "window_days": 30})
    assert result.is_error and "greater than or equal to 90" in result.content[0].text
    out_of_range = mcp.call_tool("pull_usage", {"account_id": top.account_id, "window_days": 400})
    assert out_of_range.is_error and "window_days" in out_of_range.content[0].text


def test_skill_resources_are_the_packaged_skill_docs(mcp: Session) -> None:
    listed = {str(r.uri): r for r in mcp.list_resources().resources}
    for folder in SKILL_FOLDERS:
        uri = f"skill://{folder}"
        assert listed[uri].mime_type == "text/markdown"
        text = mcp.read_resource(uri).contents[0].text
        assert text == (resources.files("skills") / folder / "SKILL.md").read_text(encoding="utf-8")


def test_account_resource_is_the_snapshot_json(mcp: Session, desk: Desk, top: AccountAssessment) -> None:
    templates = [t.uri_template for t in mcp.list_resource_templates().resource_templates]
    assert templates == ["account://{account_id}"]
    data = json.loads(mcp.read_resource(f"account://{top.account_id}").contents[0].text)
    assert data == json.loads(desk.snapshot(top.account_id).model_dump_json())
    with pytest.raises(MCPError, match="find_account"):
        mcp.read_resource("account://NO-SUCH-ACCOUNT")


def test_prompts_take_the_account_and_name_the_tools(mcp: Session, top: AccountAssessment) -> None:
    prompts = {p.name: p for p in mcp.list_prompts().prompts}
    assert set(prompts) == PROMPTS
    for name, prompt in prompts.items():
        assert [(a.name, a.required) for a in prompt.arguments or []] == [("account", True)]
        text = mcp.get_prompt(name, {"account": top.name}).messages[0].content.text
        assert top.name in text and "find_account" in text and "score_account" in text


def test_what_changed_and_portfolio_summary_are_the_cli_json(mcp: Session) -> None:
    def cli(*args: str) -> Any:
        result = CliRunner().invoke(main, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    changed = mcp.call_tool("what_changed", {"date_from": "2026-11-01", "date_to": "2026-11-23"})
    assert changed.structured_content["changes"] == cli("changes", "--from", "2026-11-01", "--to", "2026-11-23")
    assert (
        changed.structured_content["changes"] and "changed between 2026-11-01 and 2026-11-23" in changed.content[0].text
    )
    summary = mcp.call_tool("portfolio_summary", {})
    assert summary.structured_content == cli("portfolio")
    assert "Pipeline priority:" in summary.content[0].text


def test_what_changed_refuses_days_in_the_wrong_order(mcp: Session) -> None:
    result = mcp.call_tool("what_changed", {"date_from": "2026-11-23", "date_to": "2026-11-01"})
    assert result.is_error and "must be before" in result.content[0].text
