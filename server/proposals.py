"""The proposal flow every front end calls: assess → assemble → draft → check → compose → render.

A Claude draft that fails the checks is re-asked once with the failures listed, then replaced by the
template draft; `drafted_by` records which drafter wrote the final words and why. The template
draft must pass the same checks: if it ever does not, that is a bug and the flow stops.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import Any, Literal, get_args

from server.calibration import Calibration
from server.desk import Desk
from server.drafting import Drafter, DraftError, Rejected, templates
from server.drafting.claude import ClaudeDrafter
from server.drafting.template import TemplateDrafter
from server.settings import DrafterSettings
from server.store import ACTION_STATUS, ProposalRecord, ProposalStore, ReviewAction, ReviewRecord
from skills.assessment import AccountAssessment, assess
from skills.catalog import EXPANSION_TYPES, ExpansionType
from skills.discovery.roi import expansion_roi
from skills.playbook.expansion_type import ExpansionChoice, forced_offer
from skills.proposal.assemble import assemble, compose
from skills.proposal.checks import CheckResult, check_draft
from skills.proposal.pricing import price, priced
from skills.proposal.schema import DraftedBy, DraftedText, DraftFacts, Proposal
from skills.snapshot import AccountSnapshot
from skills.usage.summary import summarise_usage

DrafterChoice = Literal["template", "claude"]
DRAFTERS: tuple[DrafterChoice, ...] = get_args(DrafterChoice)
MAX_LISTED_FAILURES = 5
log = logging.getLogger(__name__)


class TemplateDraftError(RuntimeError):
    """The offline draft failed its own checks: a template bug, never shown to a CSM."""


def assessed(
    desk: Desk, account_id: str, chosen: ExpansionType | None = None, as_of: str | date | None = None
) -> tuple[AccountAssessment, AccountSnapshot, ExpansionChoice]:
    """The account's assessment and its offer: the rule's choice, or the type the CSM forced."""
    if chosen is not None and chosen not in EXPANSION_TYPES:
        raise ValueError(f"unknown expansion type {chosen!r}; choose one of {', '.join(EXPANSION_TYPES)}")
    snapshot = desk.snapshot(account_id, as_of)
    rules, usage = desk.rules, summarise_usage(snapshot, desk.rules)
    assessment = assess(snapshot, desk.peers(snapshot.as_of), rules)
    if chosen is None or chosen == assessment.expansion_type:
        return assessment, snapshot, priced(snapshot, usage, rules)[0]
    choice = forced_offer(snapshot, usage, rules, chosen).model_copy(update={"rule_choice": assessment.expansion_type})
    quote = price(snapshot, choice, usage, rules)
    if not quote.proposed_expansion_value:
        raise ValueError(f"{chosen} adds nothing for {account_id}: {quote.basis}")
    roi = expansion_roi(snapshot, choice, quote, rules)
    forced = assessment.model_copy(
        update={
            "expansion_type": choice.type,
            "expansion_reason": choice.reason,
            "unevaluated_types": (),
            "pricing": quote,
            "proposed_expansion_value": quote.proposed_expansion_value,
            "total_proposed_arr": quote.total_proposed_arr,
            "roi": roi,
            "value_case": roi.value_case,
        }
    )
    return forced, snapshot, choice


def select_drafter(settings: DrafterSettings, choice: DrafterChoice | Drafter | None) -> tuple[Drafter, str | None]:
    """The drafter to use and, when Claude was wanted but cannot run, why the template runs instead."""
    if choice is not None and not isinstance(choice, str):
        return choice, None
    wanted = choice or settings.mode
    if wanted not in (*DRAFTERS, "auto"):
        raise ValueError(f"unknown drafter {wanted!r}; choose one of {', '.join(DRAFTERS)}")
    has_key = bool(os.environ.get("ANTHROPIC_API_KEY"))
    if wanted == "template" or (wanted == "auto" and not has_key):
        return TemplateDrafter(), None
    if not has_key:
        return TemplateDrafter(), "ANTHROPIC_API_KEY is not set"
    return ClaudeDrafter(settings), None


def template_text(facts: DraftFacts) -> DraftedText:
    result = check_draft(TemplateDrafter().draft(facts).payload, facts)
    if result.draft is None or result.failures:
        failures = "; ".join(str(f) for f in result.failures)
        raise TemplateDraftError(f"the template draft for {facts.account_name} failed its checks: {failures}")
    return result.draft


def _checked_twice(facts: DraftFacts, drafter: Drafter) -> CheckResult:
    attempt = drafter.draft(facts)
    result = check_draft(attempt.payload, facts)
    if result.ok:
        return result
    return check_draft(drafter.draft(facts, Rejected(attempt=attempt, failures=result.failures)).payload, facts)


def _listed(result: CheckResult) -> str:
    shown = "; ".join(str(f) for f in result.failures[:MAX_LISTED_FAILURES])
    more = len(result.failures) - MAX_LISTED_FAILURES
    return shown + (f"; and {more} more" if more > 0 else "")


def draft_text(facts: DraftFacts, drafter: Drafter, reason: str | None = None) -> tuple[DraftedText, DraftedBy]:
    """Checked words for `facts`, from `drafter` if its draft passes (after one re-ask), else the template's."""
    if drafter.name != "template":
        try:
            result = _checked_twice(facts, drafter)
            if result.ok and result.draft is not None:
                return result.draft, DraftedBy(drafter=drafter.name, model=drafter.model)
            reason = f"{drafter.name} ({drafter.model}) draft failed the checks after one re-ask: {_listed(result)}"
        except DraftError as exc:
            reason = f"{drafter.name} ({drafter.model}) unavailable: {exc}"
    if reason:
        log.warning("%s: falling back to the template draft: %s", facts.account_name, reason)
    return template_text(facts), DraftedBy(drafter="template", fallback_reason=reason)


def build_proposal(
    desk: Desk,
    account_id: str,
    expansion_type: ExpansionType | None = None,
    as_of: str | date | None = None,
    drafter: DrafterChoice | Drafter | None = None,
    calibration: Calibration | None = None,
) -> Proposal:
    """A checked draft proposal for one account (`requires_csm_review` is always true).

    `calibration`: the stored backtest for the current inputs (server.calibration), which gives the
    tier's calibrated win rate (SPEC §5) as the plan's confidence; without one, "not calibrated".
    """
    assessment, snapshot, choice = assessed(desk, account_id, expansion_type, as_of)
    confidence = calibration.text(assessment.tier) if calibration else None
    assembled = assemble(assessment, snapshot, choice, desk.rules, confidence)
    chosen, reason = select_drafter(desk.settings.drafter, drafter)
    words, drafted_by = draft_text(assembled.facts, chosen, reason)
    return compose(assembled, words, drafted_by)


def render_markdown(proposal: Proposal) -> tuple[str, str]:
    """(internal prep document for the CSM only, customer-facing summary document)."""
    env = templates(documents=True)
    return (
        env.get_template("internal_doc.md.j2").render(p=proposal),
        env.get_template("customer_doc.md.j2").render(p=proposal),
    )


def record_review(
    store: ProposalStore, proposal_id: str, action: str, note: str, reviewer: str | None = None
) -> ReviewRecord:
    """The CSM's decision on a stored draft: approve, decline or sent (the status words are accepted too)."""
    words: dict[str, ReviewAction] = {**{a: a for a in ACTION_STATUS}, **{s: a for a, s in ACTION_STATUS.items()}}
    normalised = words.get(action.strip().lower())
    if normalised is None:
        raise ValueError(f"unknown review action {action!r}; use approve, decline or sent")
    return store.review(proposal_id, normalised, note, reviewer)


def with_id(proposal: Proposal, proposal_id: str | None, status: str) -> dict[str, Any]:
    """The proposal's JSON with its store id and status first (`propose --json`)."""
    return {"proposal_id": proposal_id, "status": status, **proposal.model_dump(mode="json")}


def proposal_queue(
    store: ProposalStore, csm: str | None = None, tier: str | None = None, expansion_type: str | None = None
) -> list[ProposalRecord]:
    """Drafts awaiting the CSM's review across accounts, oldest first (CLI `queue`, MCP, web UI)."""
    return store.queue(csm=csm, tier=tier, expansion_type=expansion_type)
