"""The proposals toolset: build a draft proposal and record the CSM's review (both write to the store);
list stored proposals and read one back (read-only)."""

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field

from connectors.errors import DataError
from server.calibration import current_calibration
from server.desk import Desk
from server.mcp.access import FINAL, READ_ONLY, WRITES, AccountId, AsOf, DeskAccess, Toolbox, answer
from server.mcp.apps import PROPOSAL_URI, ui_meta, with_proposal_charts
from server.mcp.results import ProposalList, SavedProposal, stored_summary
from server.proposals import DrafterChoice, proposal_queue
from server.proposals import build_proposal as build_proposal_for
from server.proposals import record_review as record_review_in
from server.store import ProposalStore, ReviewAction, ReviewRecord, StoredProposal
from skills.catalog import ExpansionType


def register(tools: Toolbox, access: DeskAccess) -> None:
    @tools.tool(title="Build expansion proposal", annotations=WRITES, meta=ui_meta(PROPOSAL_URI))
    def build_proposal(
        account_id: AccountId,
        ctx: Context,
        expansion_type: Annotated[
            ExpansionType | None,
            Field(description="Omit to use the one offer the desk chose; set only when the CSM overrides it."),
        ] = None,
        as_of: AsOf = None,
        drafter: Annotated[
            DrafterChoice | None,
            Field(
                description="Who writes the words: omit for the configured drafter (Claude when an API key is "
                "set, else the offline template). Numbers are identical either way."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, SavedProposal]:
        """Build the expansion proposal for one account and save it as a draft for CSM review. Call
        score_account first: when the readiness gate fails or blockers apply, the proposal is a "fix the
        footprint first" or "wait until" brief instead of a pitch (see kind). Fixed schema: evidence with
        a source citation on every line, internal_prep (pricing standard, discount authority, objections,
        approach, risk factors, timing: for the CSM only, never for the customer), customer_summary,
        objection responses, conversation scripts, ROI and calendar. Every number comes from the
        calculators; requires_csm_review is always true. Returns the proposal_id for record_review."""
        day = access.day(as_of).isoformat()

        def build(desk: Desk, store: ProposalStore) -> SavedProposal:
            try:
                calibration = current_calibration(desk, store)
                proposal = build_proposal_for(desk, account_id, expansion_type, day, drafter, calibration)
            except ValueError as exc:  # an override that does not apply to this account
                if expansion_type is None or isinstance(exc, DataError):
                    raise
                raise ToolError(f"{exc}. Omit expansion_type to use the offer the desk chose.") from exc
            return SavedProposal(proposal_id=store.save(proposal), proposal=proposal)

        result = access.run_with_store(build)
        return with_proposal_charts(answer(result.summary(), result), ctx, result.proposal)

    @tools.tool(title="Record CSM review", annotations=FINAL)
    def record_review(
        proposal_id: Annotated[
            str, Field(min_length=1, max_length=64, description="The proposal_id returned by build_proposal.")
        ],
        action: Annotated[
            ReviewAction,
            Field(
                description="approve (draft -> approved), decline (from draft or approved), "
                "sent (approved -> sent to the customer)."
            ),
        ],
        note: Annotated[str, Field(max_length=4000, description="The CSM's reason or comment, in their words.")] = "",
    ) -> Annotated[CallToolResult, ReviewRecord]:
        """Record the CSM's decision on a saved proposal. Call it only with the CSM's explicit decision,
        never on your own judgement: approving or sending is the CSM's call. A proposal moves draft ->
        approved -> sent, or is declined; other moves are refused with the current status. "sent" and
        "decline" are final: they cannot be undone."""
        review = access.run_with_store(lambda _, store: record_review_in(store, proposal_id, action, note))
        when = f"{review.at:%Y-%m-%d %H:%M} UTC"
        return answer(f"Proposal {review.proposal_id} is now {review.status} (review {review.id}, {when}).", review)

    @tools.tool(title="List stored proposals", annotations=READ_ONLY)
    def list_proposals(
        account_id: Annotated[
            str | None, Field(description="An account's proposals (every status, newest first). Omit for the queue.")
        ] = None,
        csm: Annotated[str | None, Field(description="Queue only: this CSM's drafts.")] = None,
        tier: Annotated[str | None, Field(description="Queue only: drafts of accounts in this readiness tier.")] = None,
        expansion_type: Annotated[ExpansionType | None, Field(description="Queue only: this offer type.")] = None,
    ) -> Annotated[CallToolResult, ProposalList]:
        """Stored proposals. Without account_id: the drafts awaiting the CSM's review across accounts, oldest
        first, with value, CSM and creation day. With account_id: that account's proposals with status
        (draft, approved, sent, declined, superseded) and review notes. Read get_proposal for one in full."""

        def listed(_: Desk, store: ProposalStore) -> ProposalList:
            if account_id is not None:
                return ProposalList(scope=f"history of {account_id}", proposals=store.history(account_id))
            rows = proposal_queue(store, csm=csm, tier=tier, expansion_type=expansion_type)
            return ProposalList(scope="drafts awaiting review", proposals=rows)

        result = access.run_with_store(listed)
        return answer(result.summary(), result)

    @tools.tool(title="Get stored proposal", annotations=READ_ONLY)
    def get_proposal(
        proposal_id: Annotated[str, Field(description="A proposal_id from build_proposal or list_proposals.")],
    ) -> Annotated[CallToolResult, StoredProposal]:
        """One stored proposal in full, as it was saved: the proposal, its status and its reviews. Nothing is
        recomputed; internal_prep is for the CSM only."""
        stored = access.run_with_store(lambda _, store: store.get(proposal_id))
        return answer(stored_summary(stored), stored)
