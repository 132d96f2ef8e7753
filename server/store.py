"""Stored drafts and CSM reviews (SQLAlchemy Core): SQLite at `store_path`, PostgreSQL at `database_url`.

Every proposal is saved as a draft; the CSM moves it draft → approved → sent, or declines it from
draft or approved. The review log feeds seed 003's "store insights": which triggers and which
expansion types get approved.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from server.settings import Settings
from skills.evidence import Result
from skills.proposal.schema import Proposal

ProposalStatus = Literal["draft", "approved", "sent", "declined"]
ReviewAction = Literal["approve", "decline", "sent"]
ACTION_STATUS: dict[ReviewAction, ProposalStatus] = {"approve": "approved", "decline": "declined", "sent": "sent"}
TRANSITIONS: dict[str, tuple[ProposalStatus, ...]] = {
    "draft": ("approved", "declined"),
    "approved": ("sent", "declined"),
    "sent": (),
    "declined": (),
}
APPROVED: tuple[ProposalStatus, ...] = ("approved", "sent")


class StoreError(ValueError):
    """The store cannot do what was asked; the message says why (never includes a password)."""


class UnknownProposalError(StoreError):
    pass


class ReviewError(StoreError):
    pass


class ProposalRecord(Result):
    id: str
    account_id: str
    as_of: date
    created_at: datetime
    expansion_type: str
    kind: str
    drafter: str
    status: ProposalStatus


class ReviewRecord(Result):
    id: int
    proposal_id: str
    status: ProposalStatus
    note: str
    reviewer: str | None
    at: datetime


class StoredProposal(Result):
    record: ProposalRecord
    proposal: Proposal
    reviews: tuple[ReviewRecord, ...]


class ApprovalRate(Result):
    key: str
    proposals: int
    approved: int
    declined: int
    pending: int
    approval_rate: float | None  # approved / decided; None until one is decided


class Insights(Result):
    """Seed 003 "store insights": what gets approved, by opening trigger and by expansion type."""

    by_trigger: tuple[ApprovalRate, ...]
    by_expansion_type: tuple[ApprovalRate, ...]


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def database_url(settings: Settings) -> str:
    """PostgreSQL when `database_url` is set (plain postgres:// URLs use psycopg 3), else the SQLite file."""
    if settings.database_url is None:
        path = settings.store_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"store_path {path}: its folder cannot be created ({exc.strerror or exc}: {exc.filename}); "
                "set store_path to a file in a folder you can write"
            ) from None
        if path.is_dir():
            raise StoreError(f"store_path {path} is a folder; name a file such as {path / 'proposals.sqlite3'}")
        return f"sqlite:///{path}"
    url = settings.database_url.get_secret_value()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class ProposalStore:
    def __init__(self, engine: Engine, schema: str | None = None, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._now = now or (lambda: datetime.now(UTC))
        meta = MetaData(schema=schema)
        self.proposals = Table(
            "proposals",
            meta,
            Column("id", String(40), primary_key=True),
            Column("account_id", String(200), nullable=False, index=True),
            Column("as_of", Date, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("expansion_type", String(40), nullable=False),
            Column("kind", String(40), nullable=False),
            Column("drafter", String(20), nullable=False),
            Column("status", String(20), nullable=False),
            Column("proposal_json", Text, nullable=False),
            Column("evidence_json", Text, nullable=False),
        )
        self.reviews = Table(
            "reviews",
            meta,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("proposal_id", String(40), ForeignKey(self.proposals.c.id), nullable=False, index=True),
            Column("status", String(20), nullable=False),
            Column("note", Text, nullable=False),
            Column("reviewer", String(200)),
            Column("at", DateTime(timezone=True), nullable=False),
        )
        self.triggers = Table(
            "proposal_triggers",
            meta,
            Column("proposal_id", String(40), ForeignKey(self.proposals.c.id), primary_key=True),
            Column("trigger_id", String(40), primary_key=True),
        )
        with self._db():
            meta.create_all(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> ProposalStore:
        url = database_url(settings)
        try:
            engine = create_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"proposal store URL is not usable: {type(exc).__name__}") from exc
        return cls(engine)

    @contextmanager
    def _db(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            raise StoreError(f"proposal store {where}: {getattr(exc, 'orig', None) or exc}") from exc

    def save(self, proposal: Proposal) -> str:
        """Store a new draft; returns its id."""
        proposal_id = f"prop-{uuid.uuid4().hex[:12]}"
        evidence = {
            "evidence": proposal.evidence.model_dump(mode="json"),
            "evidence_lines": [e.model_dump(mode="json") for e in proposal.evidence_lines],
        }
        row = {
            "id": proposal_id,
            "account_id": proposal.account_id,
            "as_of": proposal.as_of,
            "created_at": self._now(),
            "expansion_type": proposal.expansion_type,
            "kind": proposal.kind,
            "drafter": proposal.drafted_by.drafter,
            "status": "draft",
            "proposal_json": proposal.model_dump_json(),
            "evidence_json": json.dumps(evidence, ensure_ascii=False),
        }
        trigger_ids = sorted({t.id for t in proposal.triggers})
        with self._db(), self.engine.begin() as conn:
            conn.execute(insert(self.proposals).values(**row))
            if trigger_ids:
                conn.execute(
                    insert(self.triggers), [{"proposal_id": proposal_id, "trigger_id": t} for t in trigger_ids]
                )
        return proposal_id

    def _record(self, row: Any) -> ProposalRecord:
        return ProposalRecord(
            id=row.id,
            account_id=row.account_id,
            as_of=row.as_of,
            created_at=_utc(row.created_at),
            expansion_type=row.expansion_type,
            kind=row.kind,
            drafter=row.drafter,
            status=row.status,
        )

    def get(self, proposal_id: str) -> StoredProposal:
        p, r = self.proposals, self.reviews
        with self._db(), self.engine.connect() as conn:
            row = conn.execute(select(p).where(p.c.id == proposal_id)).first()
            if row is None:
                raise UnknownProposalError(f"no proposal {proposal_id!r} in the store")
            reviews = conn.execute(select(r).where(r.c.proposal_id == proposal_id).order_by(r.c.id)).all()
        return StoredProposal(
            record=self._record(row),
            proposal=Proposal.model_validate_json(row.proposal_json),
            reviews=tuple(
                ReviewRecord(
                    id=v.id, proposal_id=v.proposal_id, status=v.status, note=v.note, reviewer=v.reviewer, at=_utc(v.at)
                )
                for v in reviews
            ),
        )

    def history(self, account_id: str) -> list[ProposalRecord]:
        """The account's proposals, newest first."""
        p = self.proposals
        query = select(p).where(p.c.account_id == account_id).order_by(p.c.created_at.desc(), p.c.id.desc())
        with self._db(), self.engine.connect() as conn:
            return [self._record(row) for row in conn.execute(query)]

    def review(
        self, proposal_id: str, action: ReviewAction, note: str = "", reviewer: str | None = None
    ) -> ReviewRecord:
        """Move a proposal to the action's status, or a clear error naming the id and its current status."""
        target = ACTION_STATUS[action]
        p = self.proposals
        with self._db(), self.engine.begin() as conn:
            current = conn.execute(select(p.c.status).where(p.c.id == proposal_id)).scalar()
            if current is None:
                raise UnknownProposalError(f"no proposal {proposal_id!r} in the store")
            allowed = TRANSITIONS.get(current, ())
            if target not in allowed:
                then = f"it can only become {' or '.join(allowed)}" if allowed else "no further change is allowed"
                raise ReviewError(f"proposal {proposal_id} is {current}: cannot mark it {target} ({then})")
            changed = conn.execute(
                update(p).where(p.c.id == proposal_id, p.c.status == current).values(status=target)
            ).rowcount
            if changed != 1:
                raise ReviewError(f"proposal {proposal_id} changed while being reviewed; try again")
            at = self._now()
            values = {"proposal_id": proposal_id, "status": target, "note": note, "reviewer": reviewer, "at": at}
            review_id = conn.execute(insert(self.reviews).values(**values).returning(self.reviews.c.id)).scalar_one()
        return ReviewRecord(
            id=review_id,
            proposal_id=proposal_id,
            status=target,
            note=note,
            reviewer=reviewer,
            at=_utc(at),
        )

    def _rates(self, key: Any, source: Any) -> tuple[ApprovalRate, ...]:
        p = self.proposals

        def count(*statuses: str) -> Any:
            return func.sum(case((p.c.status.in_(statuses), 1), else_=0))

        query = (
            select(key.label("key"), func.count().label("n"), count(*APPROVED), count("declined"), count("draft"))
            .select_from(source)
            .where(p.c.kind == "expansion_proposal")
            .group_by(key)
            .order_by(key)
        )
        with self._db(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return tuple(
            ApprovalRate(
                key=k,
                proposals=n,
                approved=int(ok or 0),
                declined=int(no or 0),
                pending=int(wait or 0),
                approval_rate=round(int(ok or 0) / (int(ok or 0) + int(no or 0)), 3) if (ok or no) else None,
            )
            for k, n, ok, no, wait in rows
        )

    def insights(self) -> Insights:
        """Approval rates of expansion proposals by trigger present and by expansion type."""
        p, t = self.proposals, self.triggers
        return Insights(
            by_trigger=self._rates(t.c.trigger_id, t.join(p, t.c.proposal_id == p.c.id)),
            by_expansion_type=self._rates(p.c.expansion_type, p),
        )
