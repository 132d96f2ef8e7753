"""The proposal: seed 000's worked example, the three kinds, forced offers, documents, schema, demo sweep."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pytest

from connectors.workspace import demo_workspace_path
from server.desk import Desk
from server.drafting import templates
from server.drafting.template import template_draft
from server.proposals import build_proposal, render_markdown
from server.settings import Settings
from skills.assessment import assess, peer_metrics
from skills.proposal.assemble import Assembled, assemble
from skills.proposal.benchmarks import segment_peers
from skills.proposal.checks import check_draft
from skills.proposal.pricing import priced
from skills.proposal.schema import Proposal, schema_json
from skills.rules import Rules
from skills.snapshot import AccountSnapshot
from skills.usage.summary import summarise_usage
from tests.factory import account, champion, outcome, snapshot, ticket, usage
from tests.seed000 import ACCOUNT_ID, ARR, PRICE_PER_SEAT, seed000_workspace

RULES = Rules()
PITCH = re.compile(r"proposal|invest|upgrade|price|per year|additional seats|\bseats? would\b", re.IGNORECASE)


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    return Desk(Settings(workspace=seed000_workspace(tmp_path / "ws"), store_path=tmp_path / "store.sqlite3"))


def assembled(snap: AccountSnapshot) -> Assembled:
    """The pure path: calculators → assemble, no workspace."""
    peers = segment_peers([peer_metrics(snap.account, snap.usage)])
    choice = priced(snap, summarise_usage(snap, RULES), RULES)[0]
    return assemble(assess(snap, peers, RULES), snap, choice, RULES)


def customer_text(p: Proposal) -> str:
    return " ".join(text for _, text in p.customer_summary)


def test_seed000_worked_example(desk: Desk) -> None:
    p = build_proposal(desk, ACCOUNT_ID, drafter="template")
    assert (p.kind, p.expansion_type, p.requires_csm_review) == ("expansion_proposal", "seat_growth", True)
    assert p.current_arr == ARR and p.total_proposed_arr == p.current_arr + p.proposed_expansion_value
    assert p.proposed_expansion_value == 30 * PRICE_PER_SEAT  # demand 93 + 3 at 75% → 128 seats, +28 → pack of 5
    growth = p.evidence.growth_signals
    assert growth.licence_utilisation.startswith("Per usage: 93% of 100 seats active")
    assert growth.organic_spread == "Per usage: 12 new users from Marketing since 2026-10-07"
    assert growth.credential_sharing == "Per usage: 3 users detected sharing credentials in the last 30 days"
    assert p.evidence.value_delivered.headline.startswith("Per outcomes: 340 hours saved in Q1")
    assert p.evidence.switching_cost.startswith("Per CRM: High — 3 integrations, 93 active users, 18 months")
    assert all(re.match(r"Per (CRM|usage|support|conversations|outcomes|catalog): ", e.line) for e in p.evidence_lines)
    assert p.internal_prep.pricing_standard == p.proposed_expansion_value
    assert p.internal_prep.discount_authority == "CSM can offer up to 10% on seat_growth without approval"
    summary = customer_text(p)
    assert "93%" in summary and "Marketing" in summary and "USD 12,600" in summary
    assert {o.key for o in p.objection_responses} == {
        "not_ready",
        "budget_approval",
        "more_value_first",
        "happy_as_is",
        "type_specific",
    }
    assert [s.trigger for s in p.conversation_scripts] == ["capacity_ceiling", "success_moment", "team_growth"]
    assert p.drafted_by.drafter == "template" and p.drafted_by.fallback_reason is None


def test_template_drafts_are_deterministic(desk: Desk) -> None:
    assert build_proposal(desk, ACCOUNT_ID, drafter="template") == build_proposal(desk, ACCOUNT_ID, drafter="template")


def test_open_p2_makes_a_wait_brief_without_a_pitch(tmp_path: Path) -> None:
    desk = Desk(Settings(workspace=seed000_workspace(tmp_path / "ws", open_p2=True)))
    p = build_proposal(desk, ACCOUNT_ID, drafter="template")
    assert p.kind == "wait_until" and [b.id for b in p.blockers] == ["open_critical_ticket"]
    assert p.brief.startswith("Wait until resolved: P2 ticket T-P2-open open since")
    assert p.internal_prep.timing.startswith("Wait until resolved: P2 ticket")
    assert any("P2 ticket" in r for r in p.internal_prep.risk_factors)
    assert not PITCH.search(customer_text(p)) and "12,600" not in customer_text(p)
    assert "open support issue" in p.customer_summary.opening
    assert [s.trigger for s in p.conversation_scripts] == ["check_in"]


def test_failed_gate_makes_a_fix_the_footprint_brief_with_the_reasons() -> None:
    snap = snapshot(account(health_score=45, health_trend="down"), use=usage(45), contacts=(champion(90),))
    a = assembled(snap)
    assert a.core.kind == "fix_footprint_first"
    reasons = a.core.gate.reasons
    assert any("health 45/100" in r for r in reasons) and any("champion not engaged" in r for r in reasons)
    assert all(r in a.risk_factors for r in reasons) and a.timing.startswith("Not now — fix the footprint first")
    assert "is not ready for an expansion conversation" in a.core.brief
    draft = template_draft(a.facts)
    assert check_draft(draft, a.facts).ok
    text = " ".join(t for _, t in draft.customer_summary)
    assert not PITCH.search(text) and "health" not in text.lower()


def test_a_pitch_in_a_brief_is_rejected_by_the_checks() -> None:
    a = assembled(snapshot(account(health_score=45, health_trend="down"), use=usage(45)))
    pitch = template_draft(a.facts).model_copy(deep=True)
    pitch = pitch.model_copy(
        update={"customer_summary": pitch.customer_summary.model_copy(update={"forward_look": "Let's upgrade you."})}
    )
    failures = check_draft(pitch, a.facts).failures
    assert [str(f) for f in failures] == ["pitch.wording: customer_summary.forward_look: pitch wording 'upgrad'"]


def test_quarter_end_waits_until_the_next_quarter() -> None:
    quiet = snapshot(use=usage(45), outcomes=(outcome(10),))
    snap = quiet.model_copy(update={"as_of": date(2026, 12, 25)})  # six days before the fiscal quarter ends
    a = assembled(snap)
    assert a.core.kind == "wait_until" and a.core.calendar.first_allowed_day.isoformat() == "2027-01-01"
    assert a.core.brief.startswith("Wait until 2027-01-01 at the earliest: fiscal quarter ends 2026-12-31")


def test_missing_evidence_and_no_economic_buyer_are_risk_factors() -> None:
    a = assembled(snapshot(use=None, tickets=(ticket("P3"),)))
    assert any("usage data missing" in r or "not evaluated for missing data" in r for r in a.risk_factors)
    assert any("no active economic buyer" in r for r in a.risk_factors)
    assert a.core.evidence.growth_signals.licence_utilisation == "Per usage: unknown — usage data missing"


def test_csm_can_force_a_type(desk: Desk) -> None:
    cross = build_proposal(desk, ACCOUNT_ID, expansion_type="cross_sell", drafter="template")
    assert cross.expansion_type == "cross_sell" and cross.proposed_expansion_value == 9000
    assert "the Advanced Reporting module" in cross.brief
    assert any(e.topic == "offer.reason" and "chosen by the CSM" in e.line for e in cross.evidence_lines)
    upgrade = build_proposal(desk, ACCOUNT_ID, expansion_type="tier_upgrade", drafter="template")
    assert upgrade.proposed_expansion_value == (800 - 400) * 100 and "starter to growth" in customer_text(upgrade)


@pytest.mark.parametrize(
    ("plan", "forced", "message"),
    [
        ("enterprise", "tier_upgrade", "is on the enterprise tier: there is no higher tier"),
        ("starter", "geographic_expansion", "no usage from outside NA"),
        ("starter", "rocket_launch", "unknown expansion type 'rocket_launch'"),
    ],
)
def test_impossible_forced_types_are_clear_errors(tmp_path: Path, plan: str, forced: str, message: str) -> None:
    root = seed000_workspace(tmp_path / "ws")
    accounts = root / "accounts.csv"
    accounts.write_text(accounts.read_text().replace(",starter,", f",{plan},"))
    with pytest.raises(ValueError, match=message):
        build_proposal(Desk(Settings(workspace=root)), ACCOUNT_ID, expansion_type=forced, drafter="template")  # type: ignore[arg-type]


def test_documents_say_draft_and_keep_internal_prep_out_of_the_customer_document(desk: Desk) -> None:
    p = build_proposal(desk, ACCOUNT_ID, drafter="template")
    internal, customer = render_markdown(p)
    assert "Draft — requires CSM review" in internal and "Draft — requires CSM review" in customer
    assert p.internal_prep.discount_authority in internal and p.evidence.switching_cost in internal
    for secret in ("without approval", "Switching", "switching", "Risk factors", "discount", "Do not discount"):
        assert secret not in customer
    assert all(text in customer for _, text in p.customer_summary)


def test_published_schema_file_matches_the_model() -> None:
    published = resources.files("skills.proposal").joinpath("proposal.schema.json").read_text(encoding="utf-8")
    assert published == schema_json(), (
        "regenerate: python -m skills.proposal.schema > skills/proposal/proposal.schema.json"
    )
    props = json.loads(published)["properties"]
    seed_fields = {"account_id", "expansion_type", "current_arr", "proposed_expansion_value", "total_proposed_arr"}
    assert seed_fields | {"evidence", "internal_prep", "customer_summary", "requires_csm_review"} <= props.keys()
    assert props["requires_csm_review"] == {
        "const": True,
        "default": True,
        "title": "Requires Csm Review",
        "type": "boolean",
    }
    defs = json.loads(published)["$defs"]
    assert set(defs["InternalPrep"]["properties"]) == {
        "pricing_standard",
        "discount_authority",
        "likely_objections",
        "recommended_approach",
        "risk_factors",
        "timing",
    }
    assert set(defs["GrowthSignals"]["properties"]) == {"licence_utilisation", "organic_spread", "credential_sharing"}


def test_every_demo_account_gets_a_checked_template_draft_and_no_brief_pitches() -> None:
    root = demo_workspace_path()
    if not (root / "accounts.csv").is_file():
        pytest.skip(f"bundled demo workspace not generated yet at {root}")
    desk = Desk(Settings(workspace=root))
    kinds: dict[str, int] = {}
    book = desk.rank()
    for a in book:
        p = build_proposal(desk, a.account_id, drafter="template")  # raises if the template draft fails a check
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
        assert p.total_proposed_arr == round(p.current_arr + p.proposed_expansion_value, 2)
        if not a.gate.passed:
            assert p.kind == "fix_footprint_first"
        elif a.blockers:
            assert p.kind == "wait_until"
        if p.kind != "expansion_proposal":
            text = customer_text(p)
            assert not PITCH.search(text), (a.account_id, text)
            assert p.internal_prep.discount_authority not in text
    assert sum(kinds.values()) == len(book) == 200 and set(kinds) == {
        "expansion_proposal",
        "fix_footprint_first",
        "wait_until",
    }


def test_a_server_s_first_concurrent_drafts_compile_each_template_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """20 sessions' first build_proposal calls arrive together: each template is compiled once, not
    once per thread (72 compiles of 8 templates before the environment's lock)."""
    names = [p.name.removesuffix(".j2") for p in resources.files("prompts").iterdir() if p.name.endswith(".j2")]
    sections = [n for n in names if n not in {"chat_system", "extraction_system", "extraction_user"}]
    sections = [n for n in sections if not n.startswith(("claude_", "customer_doc", "internal_doc"))]
    templates.cache_clear()
    environment = templates()
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self: jinja2.Environment, *args: Any, **kw: Any) -> Any:
        compiled.append(str(args[1]))  # BaseLoader.load calls compile(source, name, filename)
        return compile_(self, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    start = threading.Barrier(20)

    def first_calls() -> None:
        start.wait()
        for name in sections:
            environment.get_template(f"{name}.j2").module  # noqa: B018 (the module is what drafting reads)

    threads = [threading.Thread(target=first_calls) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(compiled) == sorted(f"{name}.j2" for name in sections)
    templates.cache_clear()
