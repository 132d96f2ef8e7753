"""Pushing an approved proposal to the CRM: proposal → opportunity fields → a planned, allowlisted write.

Two steps so every front end can show the diff before anything is written: `prepare` reads the stored
proposal (refusing one that is not approved) and the CRM's current record, and returns the field-by-field
plan; `push` performs it and records the CRM ids on the proposal. The CLI confirms between the two
(`review ID --approve --push`); the MCP tool `push_to_crm` returns the plan unless called with confirm.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.crm_writeback import CrmWriter, ExpansionPush, PlannedWrite, PushResult, WriteRefused, open_writer
from server.proposals import render_markdown
from server.settings import Settings
from server.store import APPROVED, ProposalStore, StoredProposal
from skills.evidence import Result

OPPORTUNITY = {"hubspot": "deals", "salesforce": "Opportunity"}
NOTE = {"hubspot": "notes", "salesforce": "Note"}


class PushError(ValueError):
    """The push cannot happen (not approved, no CRM configured, a write outside the allowlist)."""


class PushPlan(Result):
    """What a push would write, per object and field; shown before the CSM confirms."""

    proposal_id: str
    account_id: str
    crm: str
    writes: tuple[PlannedWrite, ...]

    def lines(self) -> list[str]:
        out = []
        for w in self.writes:
            where = f"{w.crm} {w.object}" + (f" {w.crm_id}" if w.crm_id else "")
            if w.action == "unchanged":
                out.append(f"{where}: unchanged")
                continue
            out.append(f"{w.action} {where}:")
            for c in w.changes:
                shown = c.after if len(c.after) <= 80 else f"{c.after[:77]}… ({len(c.after)} characters)"
                out.append(
                    f"  {c.field}: {c.before!r} -> {shown!r}" if c.before is not None else f"  {c.field}: {shown!r}"
                )
        return out


class PushReceipt(Result):
    plan: PushPlan
    opportunity_id: str
    note_id: str

    def summary(self) -> str:
        verb = {"create": "created", "update": "updated", "unchanged": "already up to date:"}[
            self.plan.writes[0].action
        ]
        return (
            f"Proposal {self.plan.proposal_id}: {verb} {self.plan.crm} {OPPORTUNITY[self.plan.crm]} "
            f"{self.opportunity_id} (note {self.note_id})."
        )


@dataclass
class PreparedPush:
    stored: StoredProposal
    push: ExpansionPush
    writer: CrmWriter
    plan: PushPlan

    def discard(self) -> None:
        """Release the CRM connection without writing (the CSM said no, or only the plan was asked)."""
        self.writer.close()

    @property
    def changes_anything(self) -> bool:
        return any(w.action != "unchanged" for w in self.plan.writes)


def expansion_push(stored: StoredProposal, note_id: str | None) -> ExpansionPush:
    """The opportunity an approved proposal stands for: amount = proposed_expansion_value, close date = the
    end of the calendar's last phase, the note = the internal prep (for the CSM and the sales team only)."""
    p, record = stored.proposal, stored.record
    if record.status not in APPROVED:
        raise PushError(
            f"proposal {record.id} is {record.status}: only an approved proposal can be pushed to the CRM "
            f"(approve it first: review {record.id} --approve)"
        )
    if p.kind != "expansion_proposal":
        raise PushError(f"proposal {record.id} is a {p.kind} brief, not an expansion offer: nothing to push")
    internal, _ = render_markdown(p)
    return ExpansionPush(
        proposal_id=record.id,
        account_id=p.account_id,
        name=f"{p.account_name} — {p.expansion_type.replace('_', ' ')} expansion",
        amount=p.proposed_expansion_value,
        close_date=p.calendar.phases[-1].end,
        note_title=f"Expansion Desk internal prep: {p.account_name} ({record.id})",
        note_text=internal,
        note_id=note_id,
    )


def prepare(
    settings: Settings, store: ProposalStore, proposal_id: str, *, environ: Mapping[str, str] = os.environ
) -> PreparedPush:
    """Read the proposal and the CRM's current record; nothing is written."""
    stored = store.get(proposal_id)
    c = settings.connectors
    try:
        writer = open_writer(c.writeback, c.hubspot, c.salesforce, c.http, environ=environ)
    except WriteRefused as exc:
        raise PushError(str(exc)) from exc
    notes = {link.object: link.crm_id for link in store.links(proposal_id) if link.crm == writer.name}
    try:
        push = expansion_push(stored, notes.get(NOTE[writer.name]))
        writes = writer.plan(push)
    except Exception as exc:
        writer.close()
        if isinstance(exc, WriteRefused):
            raise PushError(str(exc)) from exc
        raise
    plan = PushPlan(proposal_id=proposal_id, account_id=push.account_id, crm=writer.name, writes=writes)
    return PreparedPush(stored=stored, push=push, writer=writer, plan=plan)


def push(prepared: PreparedPush, store: ProposalStore) -> PushReceipt:
    """Perform the prepared plan and record the CRM ids on the proposal."""
    try:
        result: PushResult = prepared.writer.apply(prepared.push, prepared.plan.writes)
    except WriteRefused as exc:
        raise PushError(str(exc)) from exc
    finally:
        prepared.writer.close()
    crm = result.crm
    store.link(prepared.push.proposal_id, crm, OPPORTUNITY[crm], result.opportunity_id)
    store.link(prepared.push.proposal_id, crm, NOTE[crm], result.note_id)
    return PushReceipt(plan=prepared.plan, opportunity_id=result.opportunity_id, note_id=result.note_id)
