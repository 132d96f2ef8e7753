"""The proposal commands through click's CliRunner, on a local group (as server/cli/app.py registers them)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from server.cli.proposals import COMMANDS
from skills.proposal.schema import Proposal, schema_json
from tests.seed000 import ACCOUNT_ID, seed000_workspace

cli = click.Group("expansion-desk", commands=list(COMMANDS))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seed-000 workspace, a private SQLite store and no API key, whatever the developer's environment."""
    for name in ("ANTHROPIC_API_KEY", "EXPANSION_DESK_DATABASE_URL", "EXPANSION_DESK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EXPANSION_DESK_STORE_PATH", str(tmp_path / "store" / "proposals.sqlite3"))
    return seed000_workspace(tmp_path / "ws")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def saved_id(result: Result) -> str:
    return result.stderr.split("saved draft proposal ")[1].split()[0]


def test_propose_prints_both_documents_and_saves_a_draft(workspace: Path) -> None:
    result = run("propose", ACCOUNT_ID, "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Draft — requires CSM review") == 2
    assert "(internal prep)" in result.stdout and "CSM can offer up to 10%" in result.stdout
    assert "drafted by template" in result.stderr and saved_id(result).startswith("prop-")


def test_propose_json_out_and_no_save(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--json", "--out", str(out), "--no-save")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data.pop("proposal_id"), data.pop("status")) == (None, "unsaved")
    proposal = Proposal.model_validate(data)
    assert proposal.expansion_type == "seat_growth" and "saved draft proposal" not in result.stderr
    stem = f"{ACCOUNT_ID}-{proposal.as_of}"
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}-customer.md", f"{stem}-internal.md", f"{stem}.json"]
    assert "without approval" not in (out / f"{stem}-customer.md").read_text()
    assert Proposal.model_validate_json((out / f"{stem}.json").read_text()) == proposal


def test_propose_with_a_forced_type_and_the_saved_id_naming_the_files(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--type", "cross_sell", "--out", str(out))
    assert result.exit_code == 0, result.output
    proposal_id = saved_id(result)
    assert (out / f"{proposal_id}-internal.md").is_file()
    assert json.loads((out / f"{proposal_id}.json").read_text())["expansion_type"] == "cross_sell"


def test_review_history_and_insights(workspace: Path) -> None:
    proposal_id = saved_id(run("propose", ACCOUNT_ID, "--workspace", str(workspace)))
    approved = run("review", proposal_id, "--approve", "--note", "numbers check out", "--reviewer", "dana")
    assert approved.exit_code == 0 and f"proposal {proposal_id} is now approved" in approved.stdout
    again = run("review", proposal_id, "--approve", "--note", "twice")
    assert again.exit_code == 2 and f"proposal {proposal_id} is approved: cannot mark it approved" in again.stderr
    assert "Traceback" not in again.output
    history = run("history", ACCOUNT_ID, "--json")
    assert history.exit_code == 0 and [r["status"] for r in json.loads(history.stdout)] == ["approved"]
    assert proposal_id in run("history", ACCOUNT_ID).stdout
    insights = json.loads(run("insights", "--json").stdout)
    assert insights["by_expansion_type"][0]["key"] == "seat_growth"
    assert insights["by_expansion_type"][0]["approved"] == 1
    assert "Approval by trigger" in run("insights").stdout


def test_propose_json_has_the_id_and_status_and_proposing_again_supersedes(workspace: Path) -> None:
    """Issue 11: `propose --json` had no proposal id and every run stored another draft."""
    first = json.loads(run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--json").stdout)
    assert first["proposal_id"].startswith("prop-") and first["status"] == "draft"
    second = json.loads(run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--json").stdout)
    history = {r["id"]: r for r in json.loads(run("history", ACCOUNT_ID, "--json").stdout)}
    assert history[first["proposal_id"]]["status"] == "superseded"
    assert history[first["proposal_id"]]["superseded_by"] == second["proposal_id"]
    insights = json.loads(run("insights", "--json").stdout)
    assert [(r["key"], r["proposals"], r["pending"]) for r in insights["by_expansion_type"]] == [("seat_growth", 1, 1)]


def test_show_queue_and_history_with_value_and_notes(workspace: Path) -> None:
    seat = json.loads(run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--json").stdout)
    cross = json.loads(
        run("propose", ACCOUNT_ID, "--workspace", str(workspace), "--type", "cross_sell", "--json").stdout
    )
    shown = run("show", seat["proposal_id"])
    assert (
        shown.exit_code == 0
        and "(internal prep)" in shown.stdout
        and f"Proposal {seat['proposal_id']} · draft" in shown.stdout
    )
    stored = json.loads(run("show", seat["proposal_id"], "--json").stdout)
    assert stored["record"]["status"] == "draft" and stored["proposal"]["account_id"] == ACCOUNT_ID
    queued = json.loads(run("queue", "--json").stdout)
    assert [r["id"] for r in queued] == [seat["proposal_id"], cross["proposal_id"]]
    assert queued[0]["value"] == seat["proposed_expansion_value"] and queued[0]["csm_owner"] == seat["csm_owner"]
    assert [r["id"] for r in json.loads(run("queue", "--type", "cross_sell", "--json").stdout)] == [
        cross["proposal_id"]
    ]
    assert json.loads(run("queue", "--csm", "nobody", "--json").stdout) == []
    table = run("queue").stdout
    assert "Drafts awaiting review" in table and seat["csm_owner"] in table
    run("review", seat["proposal_id"], "--decline", "--note", "champion on leave")
    listed = run("history", ACCOUNT_ID).stdout
    assert "champion on leave" in listed and "USD" in listed
    assert run("show", "prop-missing").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("review", "prop-x"), "give exactly one of --approve, --decline or --sent"),
        (("review", "prop-x", "--approve", "--sent"), "give exactly one of --approve, --decline or --sent"),
        (("review", "prop-missing", "--decline"), "no proposal 'prop-missing' in the store"),
        (("propose", "ACC-404"), "ACC-404"),
        (("propose", ACCOUNT_ID, "--type", "geographic_expansion"), "no usage from outside NA"),
    ],
)
def test_errors_are_one_clear_message_and_exit_2(workspace: Path, args: tuple[str, ...], message: str) -> None:
    extra = ("--workspace", str(workspace)) if args[0] == "propose" else ()
    result = run(*args, *extra)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_schema_prints_the_published_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0 and result.stdout == schema_json()
