"""The offline drafter (the default): deterministic text from the jinja2 templates in prompts/.

Each expansion type has one file (prompts/seat_growth.j2 …) and both briefs share prompts/brief.j2;
a macro missing there falls back to prompts/common.j2. The same facts always give the same words.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2.environment import TemplateModule

from server.drafting import Attempt, Rejected, templates
from skills.proposal.schema import (
    ConversationScript,
    CustomerSummary,
    DraftedText,
    DrafterName,
    DraftFacts,
    ObjectionResponse,
)

_ITEM = re.compile(r"^\s*-\s+", re.MULTILINE)


def _paragraph(text: str) -> str:
    return " ".join(text.split())


def _items(text: str) -> list[str]:
    return [_paragraph(item) for item in _ITEM.split(text)[1:] if item.strip()]


def section_name(facts: DraftFacts) -> str:
    return facts.expansion_type if facts.kind == "expansion_proposal" else "brief"


def _module(name: str) -> TemplateModule:
    return templates().get_template(f"{name}.j2").module


def _call(module: TemplateModule, macro: str, *args: Any) -> str:
    return str(getattr(module, macro)(*args))


def template_draft(facts: DraftFacts) -> DraftedText:
    own, common = _module(section_name(facts)), _module("common")

    def render(macro: str, *args: Any) -> str:
        """The type's (or brief's) own macro, else the shared one."""
        return _call(own if hasattr(own, macro) else common, macro, facts, *args)

    objections = _items(_call(own, "likely_objections", facts))
    if facts.kind == "expansion_proposal":
        objections += _items(_call(common, "likely_objections", facts))
    gap = _paragraph(render("gap"))
    summary = {name: _paragraph(render(name)) for name in CustomerSummary.model_fields}
    approach = _paragraph(render("approach"))
    if facts.kind == "expansion_proposal" and facts.value_case != "strong":
        # SPEC §3 value case: a weak or unknown case leads with the outcomes delivered, to the customer and in the
        # approach; a customer's own recorded ask (a grounded quote) stays the opening, with the outcomes right after it
        asked = facts.initiative is not None and facts.initiative.quote is not None
        if facts.outcome and not asked:
            summary["opening"], summary["value_frame"] = summary["value_frame"], summary["opening"]
        approach = _paragraph(_call(common, "weak_value_approach", facts)) + " " + approach
    return DraftedText(
        customer_summary=CustomerSummary(**summary),
        recommended_approach=approach,
        likely_objections=objections,
        objection_responses=[
            ObjectionResponse(key=key, objection=text, response=_paragraph(render(f"respond_{key}", gap)))
            for key, text in facts.objections
        ],
        conversation_scripts=[
            ConversationScript(trigger=kind, script=_paragraph(render(f"script_{kind}"))) for kind in facts.script_kinds
        ],
    )


class TemplateDrafter:
    name: DrafterName = "template"
    model: str | None = None

    def draft(self, facts: DraftFacts, rejected: Rejected | None = None) -> Attempt:
        """Deterministic: a re-ask would return the same words, so `rejected` is not used."""
        return Attempt(payload=template_draft(facts).model_dump(mode="json"))
