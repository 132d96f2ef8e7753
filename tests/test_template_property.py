"""Property test (issue 11 "done when"): on generated demo books of any seed, the template drafter passes its
own checks on every account, no offer is priced at 0, no calendar phase ends after renewal − 14 days, and
no weak or unknown value case states payback or incremental value in customer-facing text.

CI size: 500 accounts × 3 seeds (about 20 s each on one core). A longer local profile:
`EXPANSION_DESK_PROPERTY_SEEDS=1,2,3,4,5,6,7,8 EXPANSION_DESK_PROPERTY_ACCOUNTS=2000 pytest tests/test_template_property.py`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.demo import generate_workspace
from server.desk import Desk
from server.drafting.template import TemplateDrafter
from server.settings import Settings
from skills.assessment import assess
from skills.proposal.assemble import assemble
from skills.proposal.checks import check_draft, customer_fields
from skills.proposal.pricing import priced
from skills.rules import DraftRules, Rules
from skills.usage.summary import summarise_usage

SEEDS = [int(s) for s in os.environ.get("EXPANSION_DESK_PROPERTY_SEEDS", "3,7,11").split(",")]
ACCOUNTS = int(os.environ.get("EXPANSION_DESK_PROPERTY_ACCOUNTS", "500"))
VALUE_CLAIM = re.compile(r"payback|pays for itself|additional value|incremental value|return on investment", re.I)


class BookFindings:
    def __init__(self) -> None:
        self.accounts = 0
        self.violations: Counter[str] = Counter()
        self.examples: list[str] = []
        self.offers_at_0: list[str] = []
        self.late_phases: list[str] = []
        self.value_claims: list[str] = []
        self.co_term = 0


def sweep(desk: Desk) -> BookFindings:
    found, rules = BookFindings(), desk.rules
    day = desk.as_of()
    snapshots = list(desk.source.snapshots(day))
    peers = desk.peers(day, snapshots)
    for snap in snapshots:
        found.accounts += 1
        a = assess(snap, peers, rules)
        if a.proposed_expansion_value <= 0:
            found.offers_at_0.append(a.account_id)
        cut_off = snap.account.renewal_date - timedelta(days=14)
        if cut_off >= a.calendar.first_allowed_day and any(p.end > cut_off for p in a.calendar.phases):
            found.late_phases.append(a.account_id)
        found.co_term += a.calendar.fitted_to_renewal == "co_term"
        choice, _ = priced(snap, summarise_usage(snap, rules), rules)
        facts = assemble(a, snap, choice, rules).facts
        result = check_draft(TemplateDrafter().draft(facts).payload, facts)
        for f in result.failures:
            found.violations[f.rule] += 1
            found.examples.append(f"{a.account_id}: {f}")
        if a.value_case != "strong" and result.draft is not None:
            said = " ".join(text for _, text in customer_fields(result.draft, facts))
            if VALUE_CLAIM.search(said):
                found.value_claims.append(a.account_id)
    return found


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BookFindings:
    folder = tmp_path_factory.mktemp(f"demo{request.param}")
    generate_workspace(folder, accounts=ACCOUNTS, seed=request.param)
    return sweep(Desk(Settings(workspace=folder)))


def test_the_template_drafter_passes_its_own_checks_on_every_account(book: BookFindings) -> None:
    assert book.accounts == ACCOUNTS
    assert dict(book.violations) == {}, book.examples[:10]


def test_no_offer_is_priced_at_0(book: BookFindings) -> None:
    assert book.offers_at_0 == []


def test_no_calendar_phase_ends_after_renewal_minus_14_days(book: BookFindings) -> None:
    assert book.late_phases == []


def test_no_weak_or_unknown_value_case_states_payback_or_incremental_value(book: BookFindings) -> None:
    assert book.value_claims == []


def test_the_bundled_demo_book_holds_the_same_properties() -> None:
    found = sweep(Desk(Settings(workspace=None)))
    assert found.accounts == 200
    assert (dict(found.violations), found.offers_at_0, found.late_phases, found.value_claims) == ({}, [], [], [])


def test_the_sweep_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The property can fail: with "team" added to the lexicon, the template's own words are leaks."""
    generate_workspace(tmp_path, accounts=30, seed=5)
    strict = Settings(workspace=tmp_path, rules=Rules(drafting=DraftRules(extra_lexicon=("team",))))
    found = sweep(Desk(strict))
    assert found.accounts == 30 and found.violations["leak.wording"] > 0
    assert all(": leak.wording: " in e for e in found.examples)
