"""Stored drafts and CSM reviews (SQLAlchemy Core): SQLite at `store_path`, PostgreSQL at `database_url`.

Every proposal is saved as a draft; the CSM moves it draft → approved → sent, or declines it from
draft or approved. Proposing again for the same account and offer supersedes the open draft: history
keeps it, marked superseded, and insights count each decision once. The review log feeds seed 003's
"store insights": which triggers and which expansion types get approved.

An existing store from before a column was added is migrated on open (the missing columns are added).
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
    Float,
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
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server.settings import Settings
from skills.backtest.report import BacktestReport
from skills.conversations.signal import SignalClaim
from skills.evidence import Result
from skills.proposal.schema import Proposal

ProposalStatus = Literal["draft", "approved", "sent", "declined", "superseded"]
ReviewAction = Literal["approve", "decline", "sent"]
ACTION_STATUS: dict[ReviewAction, ProposalStatus] = {"approve": "approved", "decline": "declined", "sent": "sent"}
TRANSITIONS: dict[str, tuple[ProposalStatus, ...]] = {
    "draft": ("approved", "declined"),
    "approved": ("sent", "declined"),
    "sent": (),
    "declined": (),
    "superseded": (),
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
    value: float | None = None
    currency: str | None = None
    csm_owner: str | None = None
    tier: str | None = None
    superseded_by: str | None = None
    review_notes: tuple[str, ...] = ()

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.created_at).days)


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


class CrmLink(Result):
    """A CRM record a push created for a proposal (issue 14): the opportunity and its note."""

    proposal_id: str
    crm: str
    object: str
    crm_id: str
    pushed_at: datetime


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


ADDED_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("value", Float()),
    ("currency", String(10)),
    ("csm_owner", String(200)),
    ("tier", String(20)),
    ("superseded_by", String(40)),
)
"""Columns added after the first release; `_add_missing_columns` adds them to an older store."""


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
            *(Column(name, kind, nullable=True) for name, kind in ADDED_COLUMNS),
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
        self.signal_reads = Table(
            "signal_reads",
            meta,
            Column("text_key", String(64), primary_key=True),
            Column("model", String(100), nullable=False),
            Column("read_at", DateTime(timezone=True), nullable=False),
            Column("claims_json", Text, nullable=False),
        )
        self.crm_links = Table(  # CRM write-back: which CRM records hold each pushed proposal
            "proposal_crm_links",
            meta,
            Column("proposal_id", String(40), ForeignKey(self.proposals.c.id), primary_key=True),
            Column("crm", String(20), primary_key=True),
            Column("object", String(40), primary_key=True),
            Column("crm_id", String(100), nullable=False),
            Column("pushed_at", DateTime(timezone=True), nullable=False),
        )
        self.backtests = Table(  # SPEC §5: each backtest with the fingerprint of its inputs
            "backtests",
            meta,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("fingerprint", String(64), nullable=False, index=True),
            Column("horizon_days", Integer, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("report_json", Text, nullable=False),
        )
        with self._db():
            meta.create_all(engine)
            self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """Migrate a store created before ADDED_COLUMNS existed: add each missing column (nullable)."""
        table = self.proposals
        present = {c["name"] for c in inspect(self.engine).get_columns(table.name, schema=table.schema)}
        missing = [(name, kind) for name, kind in ADDED_COLUMNS if name not in present]
        if not missing:
            return
        full_name = f"{self.engine.dialect.identifier_preparer.format_table(table)}"
        with self.engine.begin() as conn:
            for name, kind in missing:
                column_type = kind.compile(dialect=self.engine.dialect)
                conn.execute(text(f"ALTER TABLE {full_name} ADD COLUMN {name} {column_type}"))

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
        """Store a new draft and supersede the account's open draft for the same offer; returns the new id."""
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
            "value": proposal.proposed_expansion_value,
            "currency": proposal.currency,
            "csm_owner": proposal.csm_owner,
            "tier": proposal.tier,
        }
        trigger_ids = sorted({t.id for t in proposal.triggers})
        p = self.proposals
        with self._db(), self.engine.begin() as conn:
            conn.execute(
                update(p)
                .where(
                    p.c.account_id == proposal.account_id,
                    p.c.expansion_type == proposal.expansion_type,
                    p.c.status == "draft",
                )
                .values(status="superseded", superseded_by=proposal_id)
            )
            conn.execute(insert(self.proposals).values(**row))
            if trigger_ids:
                conn.execute(
                    insert(self.triggers), [{"proposal_id": proposal_id, "trigger_id": t} for t in trigger_ids]
                )
        return proposal_id

    def save_backtest(self, fingerprint: str, report: BacktestReport) -> int:
        """Store a backtest result under the fingerprint of its inputs; returns its row id."""
        row = {
            "fingerprint": fingerprint,
            "horizon_days": report.horizon_days,
            "created_at": self._now(),
            "report_json": report.model_dump_json(),
        }
        with self._db(), self.engine.begin() as conn:
            key = conn.execute(insert(self.backtests).values(**row)).inserted_primary_key
        return int(key[0]) if key else 0

    def latest_backtest(self, fingerprint: str) -> BacktestReport | None:
        """The newest backtest run on exactly these inputs, or None."""
        b = self.backtests
        query = select(b.c.report_json).where(b.c.fingerprint == fingerprint).order_by(b.c.id.desc()).limit(1)
        with self._db(), self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else BacktestReport.model_validate_json(found)

    def _record(self, row: Any, notes: tuple[str, ...] = ()) -> ProposalRecord:
        return ProposalRecord(
            id=row.id,
            account_id=row.account_id,
            as_of=row.as_of,
            created_at=_utc(row.created_at),
            expansion_type=row.expansion_type,
            kind=row.kind,
            drafter=row.drafter,
            status=row.status,
            value=row.value,
            currency=row.currency,
            csm_owner=row.csm_owner,
            tier=row.tier,
            superseded_by=row.superseded_by,
            review_notes=notes,
        )

    def _notes(self, conn: Any, ids: list[str]) -> dict[str, tuple[str, ...]]:
        """Each proposal's review notes (non-empty), oldest first, as "status: note"."""
        if not ids:
            return {}
        r = self.reviews
        rows = conn.execute(select(r).where(r.c.proposal_id.in_(ids)).order_by(r.c.id)).all()
        found: dict[str, list[str]] = {}
        for v in rows:
            if v.note:
                found.setdefault(v.proposal_id, []).append(f"{v.status}: {v.note}")
        return {k: tuple(v) for k, v in found.items()}

    def _records(self, query: Any) -> list[ProposalRecord]:
        with self._db(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
            notes = self._notes(conn, [row.id for row in rows])
        return [self._record(row, notes.get(row.id, ())) for row in rows]

    def get(self, proposal_id: str) -> StoredProposal:
        p, r = self.proposals, self.reviews
        with self._db(), self.engine.connect() as conn:
            row = conn.execute(select(p).where(p.c.id == proposal_id)).first()
            if row is None:
                raise UnknownProposalError(f"no proposal {proposal_id!r} in the store")
            reviews = conn.execute(select(r).where(r.c.proposal_id == proposal_id).order_by(r.c.id)).all()
        notes = tuple(f"{v.status}: {v.note}" for v in reviews if v.note)
        return StoredProposal(
            record=self._record(row, notes),
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
        return self._records(query)

    def queue(
        self, csm: str | None = None, tier: str | None = None, expansion_type: str | None = None
    ) -> list[ProposalRecord]:
        """Drafts awaiting review across accounts, oldest first (the longest wait at the top)."""
        p = self.proposals
        query = select(p).where(p.c.status == "draft")
        for column, wanted in ((p.c.csm_owner, csm), (p.c.tier, tier), (p.c.expansion_type, expansion_type)):
            if wanted is not None:
                query = query.where(column == wanted)
        return self._records(query.order_by(p.c.created_at, p.c.id))

    def now(self) -> datetime:
        return self._now()

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
            .where(p.c.kind == "expansion_proposal", p.c.status != "superseded")
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
        """Approval rates of expansion proposals by trigger present and by expansion type; a superseded draft
        is not a decision, so each decision counts once."""
        p, t = self.proposals, self.triggers
        return Insights(
            by_trigger=self._rates(t.c.trigger_id, t.join(p, t.c.proposal_id == p.c.id)),
            by_expansion_type=self._rates(p.c.expansion_type, p),
        )

    def records(self, status: ProposalStatus | None = None, limit: int = 200) -> list[ProposalRecord]:
        """Stored proposals across accounts, newest first; only those in `status` when given."""
        p = self.proposals
        query = select(p).order_by(p.c.created_at.desc(), p.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(p.c.status == status)
        with self._db(), self.engine.connect() as conn:
            return [self._record(row) for row in conn.execute(query)]

    def revise(self, proposal_id: str, proposal: Proposal) -> None:
        """Replace a draft's text after the CSM edited it (the caller has checked it); drafts only."""
        p = self.proposals
        with self._db(), self.engine.begin() as conn:
            current = conn.execute(select(p.c.status).where(p.c.id == proposal_id)).scalar()
            if current is None:
                raise UnknownProposalError(f"no proposal {proposal_id!r} in the store")
            if current != "draft":
                raise ReviewError(f"proposal {proposal_id} is {current}: only a draft can be edited")
            conn.execute(
                update(p)
                .where(p.c.id == proposal_id, p.c.status == "draft")
                .values(proposal_json=proposal.model_dump_json())
            )

    def cached_claims(self, key: str) -> list[SignalClaim] | None:
        """The signals once read from the text with this key (server.drafting.extraction.text_key), if any."""
        r = self.signal_reads
        with self._db(), self.engine.connect() as conn:
            found = conn.execute(select(r.c.claims_json).where(r.c.text_key == key)).scalar()
        return None if found is None else [SignalClaim.model_validate(c) for c in json.loads(found)]

    def keep_claims(self, key: str, model: str, claims: list[SignalClaim]) -> None:
        """Remember one reading; a text read twice at once keeps the first answer."""
        row = {
            "text_key": key,
            "model": model,
            "read_at": self._now(),
            "claims_json": json.dumps([c.model_dump(mode="json") for c in claims], ensure_ascii=False),
        }
        try:
            with self._db(), self.engine.begin() as conn:
                conn.execute(insert(self.signal_reads).values(**row))
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise

    # --- CRM write-back (issue 14)

    def links(self, proposal_id: str) -> tuple[CrmLink, ...]:
        """The CRM records pushed for a proposal (none until its first push)."""
        c = self.crm_links
        query = select(c).where(c.c.proposal_id == proposal_id).order_by(c.c.crm, c.c.object)
        with self._db(), self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return tuple(
            CrmLink(proposal_id=r.proposal_id, crm=r.crm, object=r.object, crm_id=r.crm_id, pushed_at=_utc(r.pushed_at))
            for r in rows
        )

    def link(self, proposal_id: str, crm: str, obj: str, crm_id: str) -> CrmLink:
        """Record (or refresh) the CRM id of one object pushed for a proposal."""
        c, at = self.crm_links, self._now()
        key = (c.c.proposal_id == proposal_id, c.c.crm == crm, c.c.object == obj)
        with self._db(), self.engine.begin() as conn:
            if conn.execute(select(c.c.crm_id).where(*key)).first() is None:
                conn.execute(
                    insert(c).values(proposal_id=proposal_id, crm=crm, object=obj, crm_id=crm_id, pushed_at=at)
                )
            else:
                conn.execute(update(c).where(*key).values(crm_id=crm_id, pushed_at=at))
        return CrmLink(proposal_id=proposal_id, crm=crm, object=obj, crm_id=crm_id, pushed_at=_utc(at))
