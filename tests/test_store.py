"""The proposal store on SQLite and on the real PostgreSQL: drafts, review transitions, history, insights."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from server.desk import Desk
from server.proposals import build_proposal, record_review, render_markdown
from server.settings import Settings
from server.store import ProposalStore, ReviewError, StoreError, UnknownProposalError, database_url
from skills.proposal.schema import Proposal
from tests.seed000 import ACCOUNT_ID, seed000_workspace

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Clock:
    """A minute later on every call, so created_at orders history deterministically."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture(scope="module")
def proposals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Proposal]:
    """One seed-000 proposal per offer type the CSM may choose for it."""
    desk = Desk(Settings(workspace=seed000_workspace(tmp_path_factory.mktemp("ws") / "ws")))
    types = ("seat_growth", "cross_sell", "tier_upgrade", "multi_year_renewal")
    return {t: build_proposal(desk, ACCOUNT_ID, expansion_type=t, drafter="template") for t in types}  # type: ignore[arg-type]


def postgres_schema() -> Iterator[ProposalStore]:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL not reachable at 127.0.0.1:5432 ({type(exc.orig).__name__})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield ProposalStore(engine, schema=schema, now=Clock())
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProposalStore]:
    if request.param == "postgres":
        yield from postgres_schema()
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'proposals.sqlite3'}")
    yield ProposalStore(engine, now=Clock())
    engine.dispose()


def test_save_and_get_round_trip(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    proposal = proposals["seat_growth"]
    proposal_id = store.save(proposal)
    stored = store.get(proposal_id)
    assert stored.proposal == proposal and stored.reviews == ()
    record = stored.record
    assert (record.id, record.account_id, record.status, record.kind, record.drafter) == (
        proposal_id,
        ACCOUNT_ID,
        "draft",
        "expansion_proposal",
        "template",
    )
    assert record.as_of == proposal.as_of and record.created_at.tzinfo is not None


def test_history_is_newest_first(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    first, second = store.save(proposals["seat_growth"]), store.save(proposals["cross_sell"])
    assert [r.id for r in store.history(ACCOUNT_ID)] == [second, first]
    assert [r.expansion_type for r in store.history(ACCOUNT_ID)] == ["cross_sell", "seat_growth"]
    assert store.history("ACC-404") == []


def test_review_transitions(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    sent = store.save(proposals["seat_growth"])
    assert store.review(sent, "approve", "numbers check out", "dana").status == "approved"
    assert store.review(sent, "sent", "emailed to Sarah").status == "sent"
    declined = store.save(proposals["seat_growth"])
    assert store.review(declined, "decline", "champion on leave").status == "declined"
    withdrawn = store.save(proposals["seat_growth"])
    store.review(withdrawn, "approve")
    assert store.review(withdrawn, "decline", "budget frozen").status == "declined"
    reviews = store.get(sent).reviews
    assert [(r.status, r.note, r.reviewer) for r in reviews] == [
        ("approved", "numbers check out", "dana"),
        ("sent", "emailed to Sarah", None),
    ]
    assert store.get(sent).record.status == "sent"


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ((), "sent", "is draft: cannot mark it sent (it can only become approved or declined)"),
        (("decline",), "approve", "is declined: cannot mark it approved (no further change is allowed)"),
        (("approve", "sent"), "decline", "is sent: cannot mark it declined (no further change is allowed)"),
        (("approve",), "approve", "is approved: cannot mark it approved (it can only become sent or declined)"),
    ],
)
def test_invalid_transitions_name_the_proposal_and_its_status(
    store: ProposalStore, proposals: dict[str, Proposal], steps: tuple[str, ...], action: str, message: str
) -> None:
    proposal_id = store.save(proposals["seat_growth"])
    for step in steps:
        store.review(proposal_id, step)  # type: ignore[arg-type]
    with pytest.raises(ReviewError, match=re.escape(f"proposal {proposal_id} {message}")):
        store.review(proposal_id, action)  # type: ignore[arg-type]
    assert len(store.get(proposal_id).reviews) == len(steps)


def test_unknown_proposal(store: ProposalStore) -> None:
    with pytest.raises(UnknownProposalError, match="no proposal 'prop-nope' in the store"):
        store.get("prop-nope")
    with pytest.raises(UnknownProposalError, match="prop-nope"):
        store.review("prop-nope", "approve")


def test_insights_are_approval_rates_by_trigger_and_type(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    for actions in (("approve",), ("approve", "sent"), ("decline",)):
        seat_id = store.save(proposals["seat_growth"])
        for action in actions:
            store.review(seat_id, action)  # type: ignore[arg-type]
    cross = store.save(proposals["cross_sell"])
    store.save(proposals["tier_upgrade"])
    store.save(proposals["tier_upgrade"])  # proposing again supersedes the open draft: still one decision pending
    store.review(cross, "decline")
    by_type = {r.key: r for r in store.insights().by_expansion_type}
    assert set(by_type) == {"seat_growth", "cross_sell", "tier_upgrade"}
    seat = by_type["seat_growth"]
    assert (seat.proposals, seat.approved, seat.declined, seat.pending, seat.approval_rate) == (3, 2, 1, 0, 0.667)
    assert by_type["cross_sell"].approval_rate == 0.0 and by_type["tier_upgrade"].approval_rate is None
    by_trigger = {r.key: r for r in store.insights().by_trigger}
    triggers = {t.id for t in proposals["seat_growth"].triggers}
    assert set(by_trigger) == triggers and by_trigger["capacity_reached"].proposals == 5
    assert by_trigger["capacity_reached"].approved == 2 and by_trigger["capacity_reached"].declined == 2


def test_record_review_accepts_actions_and_status_words(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    proposal_id = store.save(proposals["seat_growth"])
    assert record_review(store, proposal_id, " Approved ", "ok", reviewer="dana").status == "approved"
    assert record_review(store, proposal_id, "SENT", "").status == "sent"
    with pytest.raises(ValueError, match="unknown review action 'maybe'; use approve, decline or sent"):
        record_review(store, proposal_id, "maybe", "")


def test_from_settings_creates_the_sqlite_folder(tmp_path: Path, proposals: dict[str, Proposal]) -> None:
    path = tmp_path / "deep" / "er" / "proposals.sqlite3"
    store = ProposalStore.from_settings(Settings(store_path=path))
    proposal_id = store.save(proposals["seat_growth"])
    assert path.is_file() and ProposalStore.from_settings(Settings(store_path=path)).get(proposal_id)


def test_database_url_uses_psycopg_and_never_leaks_the_password(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "x.sqlite3", database_url=SecretStr("postgres://u:s3cret@db.invalid/x"))
    assert database_url(settings) == "postgresql+psycopg://u:s3cret@db.invalid/x"
    unreachable = settings.model_copy(
        update={"database_url": SecretStr("postgresql://u:s3cret@127.0.0.1:1/x?connect_timeout=2")}
    )
    with pytest.raises(StoreError) as caught:
        ProposalStore.from_settings(unreachable)
    assert "s3cret" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


def test_proposing_again_supersedes_the_open_draft(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    """Issue 11: every run stored another draft and inflated insights."""
    first = store.save(proposals["seat_growth"])
    other_offer = store.save(proposals["cross_sell"])
    second = store.save(proposals["seat_growth"])
    history = {r.id: r for r in store.history(ACCOUNT_ID)}
    assert history[first].status == "superseded" and history[first].superseded_by == second
    assert history[second].status == "draft" and history[other_offer].status == "draft"
    with pytest.raises(ReviewError, match=f"proposal {first} is superseded"):
        store.review(first, "approve")
    seat = {r.key: r for r in store.insights().by_expansion_type}["seat_growth"]
    assert (seat.proposals, seat.pending) == (1, 1)


def test_a_reviewed_proposal_is_never_superseded(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    approved = store.save(proposals["seat_growth"])
    store.review(approved, "approve", "go")
    store.save(proposals["seat_growth"])
    assert store.get(approved).record.status == "approved"


def test_queue_lists_drafts_awaiting_review_with_value_csm_and_filters(
    store: ProposalStore, proposals: dict[str, Proposal]
) -> None:
    seat = store.save(proposals["seat_growth"])
    cross = store.save(proposals["cross_sell"])
    store.review(store.save(proposals["tier_upgrade"]), "decline", "not now")
    queue = store.queue()
    assert [r.id for r in queue] == [seat, cross]  # oldest first
    assert queue[0].value == proposals["seat_growth"].proposed_expansion_value and queue[0].currency == "USD"
    assert queue[0].csm_owner == proposals["seat_growth"].csm_owner and queue[0].tier == proposals["seat_growth"].tier
    assert queue[0].age_days(queue[0].created_at + timedelta(days=3, hours=2)) == 3
    assert [r.id for r in store.queue(expansion_type="cross_sell")] == [cross]
    assert store.queue(csm="nobody") == [] and store.queue(tier="not_yet") == []


def test_history_shows_value_and_review_notes(store: ProposalStore, proposals: dict[str, Proposal]) -> None:
    proposal_id = store.save(proposals["seat_growth"])
    store.review(proposal_id, "approve", "numbers check out")
    store.review(proposal_id, "sent", "emailed")
    (record,) = store.history(ACCOUNT_ID)
    assert record.value == proposals["seat_growth"].proposed_expansion_value
    assert record.review_notes == ("approved: numbers check out", "sent: emailed")


def test_an_older_sqlite_store_is_migrated(tmp_path: Path, proposals: dict[str, Proposal]) -> None:
    """A store created before value/currency/csm_owner/tier/superseded_by existed gains them on open."""
    path = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE proposals (id VARCHAR(40) PRIMARY KEY, account_id VARCHAR(200) NOT NULL, as_of DATE NOT NULL,"
                " created_at DATETIME NOT NULL, expansion_type VARCHAR(40) NOT NULL, kind VARCHAR(40) NOT NULL,"
                " drafter VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, proposal_json TEXT NOT NULL,"
                " evidence_json TEXT NOT NULL)"
            )
        )
        old = json.loads(proposals["seat_growth"].model_dump_json())
        for added in ("csm_owner", "value_case", "offer_chosen_by", "expansion_plan"):  # not in a pre-issue-11 JSON
            del old[added]
        conn.execute(
            text(
                "INSERT INTO proposals VALUES ('prop-old', :a, :d, '2026-11-01 09:00:00', 'seat_growth',"
                " 'expansion_proposal', 'template', 'draft', :j, '{}')"
            ),
            {"a": ACCOUNT_ID, "d": old["as_of"], "j": json.dumps(old)},
        )
    store = ProposalStore(engine, now=Clock())
    assert store.history(ACCOUNT_ID)[0].value is None  # unknown for the old row, never guessed
    legacy = store.get("prop-old").proposal
    assert legacy.expansion_plan is None and legacy.offer_chosen_by == "rules"
    assert "## Expansion Plan" not in render_markdown(legacy)[0]
    new = store.save(proposals["seat_growth"])
    assert store.get("prop-old").record.status == "superseded" and store.get(new).record.value is not None
    engine.dispose()
