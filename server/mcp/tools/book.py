"""The book toolset (read-only): find, rank and score accounts; pull their CRM and usage evidence."""

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from server.desk import Desk
from server.mcp.access import READ_ONLY, AccountId, AsOf, DeskAccess, Toolbox, answer
from server.mcp.apps import ACCOUNT_URI, ui_meta, with_account_charts
from server.mcp.results import (
    AccountMatch,
    CrmRecord,
    FindResult,
    RankedAccount,
    RankResult,
    UsageReport,
    score_summary,
)
from skills.assessment import AccountAssessment
from skills.playbook.readiness_score import ReadinessTier
from skills.usage.summary import summarise_usage

MAX_QUERY = 200
"""Longer than any company name, domain or id; a longer query only costs CPU to compare."""


def register(tools: Toolbox, access: DeskAccess) -> None:
    window = access.desk.rules.usage.signal_window_days

    @tools.tool(title="Find account", annotations=READ_ONLY)
    def find_account(
        query: Annotated[
            str, Field(min_length=1, max_length=MAX_QUERY, description="Company name, domain or account id.")
        ],
    ) -> Annotated[CallToolResult, FindResult]:
        """Find accounts by company name, domain or id, returning their account_id. Call this first
        whenever the user names a company: every other tool takes the account_id. When several
        accounts match, or only close names do, confirm the right one with the user."""
        result = FindResult(query=query, matches=[AccountMatch.of(a) for a in access.run(lambda d: d.find(query))])
        return answer(result.summary(), result)

    @tools.tool(title="Rank accounts ready to expand", annotations=READ_ONLY)
    def rank_accounts(
        segment: Literal["smb", "mid_market", "enterprise"] | None = None,
        csm_owner: Annotated[str | None, Field(description="Only this CSM's book (full name).")] = None,
        tier: Annotated[ReadinessTier | None, Field(description="Only accounts in this readiness tier.")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        as_of: AsOf = None,
    ) -> Annotated[CallToolResult, RankResult]:
        """The Expansion-Ready Account List: every account scored with the Expansion Readiness Score,
        best first. Use it for "which accounts are ready to expand?" or to review a CSM's book. Each
        row carries the one offer chosen for the account, its price, whether the readiness gate
        passed and what blocks a conversation now. Tiers: priority = talk this week, ready = within
        30 days, candidate = plant seeds for 60-90 days, not_yet = work on health and adoption.
        Follow up with score_account on the accounts the user picks."""
        day = access.day(as_of)

        def page(desk: Desk) -> tuple[int, list[AccountAssessment]]:
            total, rows = desk.ranked(day, segment, csm_owner, tier, limit)
            return total, list(rows)  # only the returned rows are assessed in full

        total, rows = access.run(page)
        result = RankResult(as_of=day, total=total, accounts=[RankedAccount.of(n, a) for n, a in enumerate(rows, 1)])
        return answer(result.summary(), result)

    @tools.tool(title="Score account", annotations=READ_ONLY, meta=ui_meta(ACCOUNT_URI))
    def score_account(
        account_id: AccountId, ctx: Context, as_of: AsOf = None
    ) -> Annotated[CallToolResult, AccountAssessment]:
        """Full expansion assessment of one account (the JSON of `expansion-desk score --json`). Read the
        readiness gate first: if it failed, the answer is "fix the footprint first" with its reasons,
        not a pitch. Then the readiness score and tier with per-signal evidence, the one recommended
        offer (expansion_type) and its price, blockers and triggers (timing), ROI, benchmarks, the
        90-day calendar and the pre-renewal timeline. switching_cost and pricing.discount_authority
        are internal to the CSM. State only numbers found here and cite evidence with its source
        ("Per usage: ...")."""
        day = access.day(as_of)
        assessment = access.run(lambda d: d.assess(account_id, day))
        result = answer(score_summary(assessment), assessment)
        return access.run(lambda d: with_account_charts(result, ctx, d, assessment))

    @tools.tool(title="Pull CRM record", annotations=READ_ONLY)
    def pull_crm(account_id: AccountId) -> Annotated[CallToolResult, CrmRecord]:
        """The CRM record of one account: ARR, seats, plan tier, renewal date, health, company growth;
        contacts with their roles (champion, economic_buyer, power_user) and last engagement; deals
        (won, open, lost). Use it to map stakeholders (who champions, who holds budget) and for
        contract facts. missing_evidence lists data a connector could not supply."""
        snapshot = access.run(lambda d: d.snapshot(account_id))
        result = CrmRecord(
            as_of=snapshot.as_of,
            account=snapshot.account,
            contacts=snapshot.contacts,
            deals=snapshot.deals,
            source=snapshot.sources.get("crm"),
            missing_evidence=snapshot.missing,
        )
        return answer(result.summary(), result)

    @tools.tool(title="Pull usage evidence", annotations=READ_ONLY)
    def pull_usage(
        account_id: AccountId,
        window_days: Annotated[
            int | None,
            Field(
                ge=window,
                le=window,
                description=f"Omit, or pass {window} (the configured signal window). Usage is "
                "aggregated over the windows the score uses (active users and utilisation over 30 days; "
                "gate hits, regions, workflows and new departments over the signal window; capacity "
                "history weekly), so another window is refused rather than silently mixed.",
            ),
        ] = None,
        as_of: AsOf = None,
    ) -> Annotated[CallToolResult, UsageReport]:
        """Usage evidence for one account: active users, utilisation of licensed seats, credential-
        sharing users, organic spread to new departments, feature-gate hits (features of a higher
        tier), usage by region and weekly capacity history. Use it to back an expansion claim with
        "Per usage:" evidence or to explain a score signal."""
        rules = access.desk.rules.usage  # window_days, when given, equals rules.signal_window_days (schema)
        day = access.day(as_of)
        snapshot = access.run(lambda d: d.snapshot(account_id, day))
        facts = snapshot.usage
        result = UsageReport(
            account_id=snapshot.account_id,
            name=snapshot.account.name,
            as_of=snapshot.as_of,
            window_days=rules.signal_window_days,
            active_window_days=rules.active_window_days,
            usage=summarise_usage(snapshot, access.desk.rules),
            regions_90d=facts.regions_90d if facts else (),
            capacity_history=facts.capacity_history if facts else (),
            missing_evidence=snapshot.missing,
        )
        return answer(result.summary(), result)
