"""The proposal store on SQLite and on the real PostgreSQL: drafts, review transitions, history, insights."""

from __future__ import annotations

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
from server.proposals import build_proposal, record_review
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
    sent, declined, withdrawn = (store.save(proposals["seat_growth"]) for _ in range(3))
    assert store.review(sent, "approve", "numbers check out", "dana").status == "approved"
    assert store.review(sent, "sent", "emailed to Sarah").status == "sent"
    assert store.review(declined, "decline", "champion on leave").status == "declined"
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
    seats = [store.save(proposals["seat_growth"]) for _ in range(3)]
    cross = store.save(proposals["cross_sell"])
    store.save(proposals["tier_upgrade"])
    store.review(seats[0], "approve")
    store.review(seats[1], "approve")
    store.review(seats[1], "sent")
    store.review(seats[2], "decline")
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
