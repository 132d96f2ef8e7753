"""Re-checking a CSM's edit of the customer summary with the same SPEC §4 checks every drafter passes.

The checks need the draft's facts; they are rebuilt from the account at the proposal's day with the
proposal's offer, exactly as the flow built them, and kept per proposal while the page is in use.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.desk import Desk
from server.proposals import assessed
from server.web.state import Lru
from skills.proposal.assemble import assemble
from skills.proposal.checks import CheckResult, check_draft
from skills.proposal.schema import CustomerSummary, DraftedText, DraftFacts, Proposal

SUMMARY_FIELDS: tuple[str, ...] = tuple(CustomerSummary.model_fields)


def facts_for(desk: Desk, proposal: Proposal) -> DraftFacts:
    assessment, snapshot, choice = assessed(desk, proposal.account_id, proposal.expansion_type, proposal.as_of)
    return assemble(assessment, snapshot, choice, desk.rules).facts


def edited_summary(proposal: Proposal, fields: Mapping[str, object]) -> CustomerSummary:
    """The saved summary with the submitted fields replaced (line endings normalised as browsers send them)."""
    current = proposal.customer_summary.model_dump()
    for name in SUMMARY_FIELDS:
        if name in fields:
            current[name] = str(fields[name]).replace("\r\n", "\n").strip()
    return CustomerSummary(**current)


def drafted_text(proposal: Proposal, summary: CustomerSummary) -> DraftedText:
    return DraftedText(
        customer_summary=summary,
        recommended_approach=proposal.internal_prep.recommended_approach,
        likely_objections=proposal.internal_prep.likely_objections,
        objection_responses=proposal.objection_responses,
        conversation_scripts=proposal.conversation_scripts,
    )


class Reviewer:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._facts: Lru[str, DraftFacts] = Lru(32)

    def check(self, proposal_id: str, proposal: Proposal, summary: CustomerSummary) -> CheckResult:
        facts = self._facts.get(proposal_id, lambda: facts_for(self.desk, proposal))
        return check_draft(drafted_text(proposal, summary), facts)

    def revised(self, proposal: Proposal, summary: CustomerSummary) -> Proposal:
        return proposal.model_copy(update={"customer_summary": summary})
