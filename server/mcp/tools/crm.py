"""The CRM toolset: push an approved proposal to the CRM as the expansion opportunity (writes outside
this server, so `serve --read-only` never offers it)."""

from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from server.crm_push import PushError, PushPlan, prepare, push
from server.desk import Desk
from server.mcp.access import DeskAccess, Toolbox, answer
from server.store import ProposalStore
from skills.evidence import Result

WRITES_TO_CRM = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)


class CrmPush(Result):
    """The plan (field by field) and, when confirmed, the CRM ids it wrote."""

    plan: PushPlan
    pushed: bool
    opportunity_id: str | None = None
    note_id: str | None = None


def register(tools: Toolbox, access: DeskAccess) -> None:
    @tools.tool(title="Push approved proposal to CRM", annotations=WRITES_TO_CRM)
    def push_to_crm(
        proposal_id: Annotated[str, Field(description="The proposal_id of an approved proposal.")],
        confirm: Annotated[
            bool,
            Field(description="false: only show what would be written. true: write it (only after the CSM agreed)."),
        ] = False,
    ) -> Annotated[CallToolResult, CrmPush]:
        """Create or update the expansion opportunity for an APPROVED proposal in the configured CRM
        (HubSpot deal or Salesforce Opportunity: amount = proposed expansion value, close date from the
        calendar, associated to the account) plus a note with the internal prep. Call it first with
        confirm=false and show the CSM the field-by-field changes; call again with confirm=true only when
        the CSM says to write. Idempotent by proposal id: a second push updates the same opportunity.
        Only the configured allowlist of objects and fields can be written. A proposal that is not
        approved is refused."""

        def run(desk: Desk, store: ProposalStore) -> CrmPush:
            try:
                prepared = prepare(desk.settings, store, proposal_id)
                if not confirm or not prepared.changes_anything:
                    prepared.discard()
                    return CrmPush(plan=prepared.plan, pushed=False)
                receipt = push(prepared, store)
            except PushError as exc:
                raise ToolError(str(exc)) from exc
            return CrmPush(
                plan=receipt.plan, pushed=True, opportunity_id=receipt.opportunity_id, note_id=receipt.note_id
            )

        result = access.run_with_store(run)
        if result.pushed:
            summary = f"Pushed proposal {proposal_id} to {result.plan.crm}: opportunity {result.opportunity_id}, note {result.note_id}."
        elif any(w.action != "unchanged" for w in result.plan.writes):
            summary = (
                f"Not written yet. Would write to {result.plan.crm}:\n" + "\n".join(result.plan.lines())
                + "\nShow this to the CSM; call again with confirm=true only if they agree."
            )  # fmt: skip
        else:
            summary = f"{result.plan.crm} already holds proposal {proposal_id} as it is; nothing to write."
        return answer(summary, result)
