"""The outcomes loop for `insights`: closed expansion deals (deals.csv or the CRM) joined to what preceded them.

A deal is linked to the newest stored expansion proposal for its account made before it closed (and
at most `link_days` before): deals carry no expansion type, so the proposal's offer and triggers are
what was pitched, and the proposal counts as won or lost with the deal. A deal with no such proposal
is read from the account as it stood `lead_days` before the close.
"""

from __future__ import annotations

from datetime import date, timedelta

from server.desk import Desk
from server.store import ProposalRecord, ProposalStore
from skills.deal_outcomes import DealObservation, OutcomeInsights, learn_from_outcomes
from skills.playbook.timing import triggers
from skills.proposal.pricing import priced
from skills.snapshot import Deal
from skills.usage.summary import summarise_usage

DEFAULT_LEAD_DAYS = 30
DEFAULT_LINK_DAYS = 180


def closed_expansion_deals(desk: Desk, as_of: date) -> list[Deal]:
    """Won and lost expansion deals closed on or before `as_of`, oldest first."""
    deals = [
        d
        for s in desk.source.snapshots(as_of)
        for d in s.deals
        if d.type == "expansion" and d.stage in ("won", "lost") and d.close_date is not None and d.close_date <= as_of
    ]
    return sorted(deals, key=lambda d: (d.close_date or as_of, d.deal_id))


def linked_proposal(records: list[ProposalRecord], deal: Deal, link_days: int) -> ProposalRecord | None:
    closed = deal.close_date
    if closed is None:
        return None
    before = [
        r for r in records if r.kind == "expansion_proposal" and r.as_of < closed <= r.as_of + timedelta(days=link_days)
    ]
    return max(before, key=lambda r: (r.as_of, r.created_at, r.id), default=None)


def observe(desk: Desk, store: ProposalStore | None, deal: Deal, lead_days: int, link_days: int) -> DealObservation:
    if deal.close_date is None:
        raise ValueError(f"deal {deal.deal_id} has no close_date: it is not closed")
    common = {
        "deal_id": deal.deal_id,
        "account_id": deal.account_id,
        "close_date": deal.close_date,
        "won": deal.stage == "won",
        "amount": deal.amount,
    }
    record = linked_proposal(store.history(deal.account_id), deal, link_days) if store else None
    if store is not None and record is not None:
        proposal = store.get(record.id).proposal
        return DealObservation(
            **common,
            observed_on=record.as_of,
            signals_from="proposal",
            triggers=tuple(dict.fromkeys(t.id for t in proposal.triggers)),
            offer=proposal.expansion_type,
            proposal_id=record.id,
        )
    day = deal.close_date - timedelta(days=lead_days)
    snapshot = desk.snapshot(deal.account_id, day)
    usage = summarise_usage(snapshot, desk.rules)
    return DealObservation(
        **common,
        observed_on=day,
        signals_from="assessment",
        triggers=tuple(dict.fromkeys(t.id for t in triggers(snapshot, usage, desk.rules))),
        offer=priced(snapshot, usage, desk.rules)[0].type,
    )


def deal_outcomes(
    desk: Desk,
    store: ProposalStore | None,
    as_of: date,
    lead_days: int = DEFAULT_LEAD_DAYS,
    link_days: int = DEFAULT_LINK_DAYS,
) -> OutcomeInsights:
    observations = [observe(desk, store, d, lead_days, link_days) for d in closed_expansion_deals(desk, as_of)]
    return learn_from_outcomes(observations, lead_days)
