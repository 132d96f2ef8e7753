"""Discovery questions (seed 001 step 4): open, problem-first; they open with what the evidence shows.

An observation is made only from evidence: with no sign of the need (an offer the CSM chose without it),
the questions ask instead of claiming ("I noticed your team mentioned a new need" is never written).
"""

from __future__ import annotations

from skills.catalog import ExpansionType
from skills.evidence import day
from skills.proposal.schema import DraftFacts, ProposalKind

BRIEF_QUESTIONS = (
    "What would 'seeing more value' look like for you — is there a specific result you're watching for?",
    "What is getting in the way of the team using the product day to day?",
    "Who on your side owns the rollout now, and how can we support them?",
    "Is there anything open with us that you'd want fixed before anything else?",
)


def observed(expansion_type: ExpansionType, facts: DraftFacts) -> tuple[str | None, str]:
    """(what the evidence shows, or None; the problem it points at) for the offer's type (seed 001 step 3)."""
    region = ", ".join(r.region for r in facts.regions) or "another region"
    module = facts.module_name or "the module"
    if expansion_type == "seat_growth":
        signal = f"{facts.utilisation} of your seats are in use" if facts.utilisation else None
        return signal, "access for everyone who needs the product"
    if expansion_type == "tier_upgrade":
        signal = "your team keeps reaching features of the next tier" if facts.feature_hits else None
        return signal, f"work that needs {facts.next_tier_features or 'more capability'}"
    if expansion_type == "cross_sell":
        if facts.initiative:
            return f"your team mentioned {facts.initiative.keyword}", facts.initiative.keyword
        return None, f"the kind of work {module} is built for"
    if expansion_type == "geographic_expansion":
        return f"people in {region} are using the product", f"the rollout in {region}"
    if expansion_type == "multi_year_renewal":
        return f"your renewal is coming up on {day(facts.renewal_day)}", "planning for next year"
    return "adoption has room to grow", "rollout and adoption"


def discovery_questions(kind: ProposalKind, signal: str | None, problem: str) -> list[str]:
    """Briefs ask about value, not expansion; proposals open with the observation when there is one."""
    if kind != "expansion_proposal":
        return list(BRIEF_QUESTIONS)
    opening = [f"I noticed {signal}. I wanted to ask you about it directly — what's behind it?"] if signal else []
    return [
        *opening,
        f"Tell me more about how you're handling {problem} today.",
        "What does that cost you in time, money or risk?",
        "If you could solve that, what would it change for the team?",
        "Who else would need to be involved in a decision like this?",
    ]
