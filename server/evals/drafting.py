"""The proposal half of an eval case: build the proposal (template, or Claude replayed from a
cassette), then score drafter behaviour — schema, grounding and leak violations, fallbacks."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anthropic

from connectors.errors import DataError, DataIssue
from server.desk import Desk
from server.drafting import Attempt, Drafter, Rejected
from server.drafting.claude import ClaudeDrafter
from server.drafting.template import TemplateDrafter
from server.evals.cassette import Recorder, Replay, load_cassette, save_cassette
from server.evals.harness import CaseDrafting, CaseResult, EvalCase, Expected, FieldResult
from server.proposals import build_proposal
from server.settings import Settings
from skills.proposal.assemble import DraftFacts
from skills.proposal.checks import CheckFailure, check_draft
from skills.proposal.schema import DrafterName, Proposal

CASSETTE = "cassette.json"


class AuditedDrafter:
    """Passes drafts through unchanged and keeps every attempt's check failures for the report."""

    def __init__(self, inner: Drafter) -> None:
        self.inner = inner
        self.name: DrafterName = inner.name
        self.model = inner.model
        self.failures: list[CheckFailure] = []
        self.attempts = 0

    def draft(self, facts: DraftFacts, rejected: Rejected | None = None) -> Attempt:
        self.attempts += 1
        attempt = self.inner.draft(facts, rejected)
        self.failures.extend(check_draft(attempt.payload, facts).failures)
        return attempt

    def by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule or f.name for f in self.failures).items()))


def _claude(settings: Settings, folder: Path, record: bool) -> tuple[ClaudeDrafter, Recorder | None]:
    if record:
        recorder = Recorder()
        client = anthropic.DefaultHttpxClient(transport=recorder)
        return ClaudeDrafter(settings.drafter, http_client=client), recorder
    path = folder / CASSETTE
    if not path.is_file():
        raise DataError([DataIssue(file=str(path), message="a claude case needs a cassette; record one with --record")])
    client = anthropic.DefaultHttpxClient(transport=Replay(load_cassette(path)))
    return ClaudeDrafter(settings.drafter, http_client=client, api_key="replayed-offline", sleep=lambda _: None), None


def _text_checks(expected: Expected, proposal: Proposal) -> list[FieldResult]:
    customer = " ".join(proposal.customer_summary.model_dump().values())
    internal = proposal.internal_prep.model_dump_json()
    out = []
    for field, text, wanted, present in (
        ("customer_summary_contains", customer, expected.customer_summary_contains, True),
        ("customer_summary_excludes", customer, expected.customer_summary_excludes, False),
        ("internal_prep_contains", internal, expected.internal_prep_contains, True),
        ("internal_prep_excludes", internal, expected.internal_prep_excludes, False),
    ):
        for phrase in wanted:
            found = phrase.lower() in text.lower()
            out.append(
                FieldResult(
                    field=field, expected=phrase, actual="present" if found else "absent", passed=found == present
                )
            )
    return out


def proposal_step(settings: Settings, record: bool = False) -> CaseDrafting:
    def step(desk: Desk, case: EvalCase, folder: Path, expected: Expected, fields: list[FieldResult]) -> CaseResult:
        inner: Drafter
        recorder = None
        if case.drafter == "claude":
            inner, recorder = _claude(settings, folder, record)
        else:
            inner = TemplateDrafter()
        audited = AuditedDrafter(inner)
        proposal = build_proposal(
            desk, case.account_id, case.expansion_type, case.as_of.isoformat() if case.as_of else None, audited
        )
        if recorder is not None:
            save_cassette(folder / CASSETTE, recorder.exchanges)
        checked = [*fields, *_text_checks(expected, proposal)]
        plan, calendar = proposal.expansion_plan, proposal.calendar
        if plan is None:
            raise ValueError(f"{case.account_id}: a new proposal always has an expansion plan")
        strategy = plan.renewal_strategy
        for name, wanted, actual in (
            ("kind", expected.kind, proposal.kind),
            ("drafter", expected.drafter, proposal.drafted_by.drafter),
            ("value_case", expected.value_case, proposal.value_case),
            ("offer_chosen_by", expected.offer_chosen_by, proposal.drafted_by.offer_chosen_by),
            ("calendar_fitted_to_renewal", expected.calendar_fitted_to_renewal, calendar.fitted_to_renewal or "none"),
            ("calendar_last_day", expected.calendar_last_day, calendar.phases[-1].end if calendar.phases else None),
            ("other_plays", expected.other_plays, [p.expansion_type for p in plan.plays[1:]]),
            ("expansion_potential", expected.expansion_potential, plan.expansion_potential),
            ("renewal_risk_level", expected.renewal_risk_level, strategy.risk_level if strategy else "none"),
            ("violations_by_rule", expected.violations_by_rule, audited.by_rule()),
            ("fallback", expected.fallback, proposal.drafted_by.fallback_reason is not None),
        ):
            if wanted is not None:
                checked.append(FieldResult(field=name, expected=wanted, actual=actual, passed=wanted == actual))
        schema_valid = Proposal.model_validate_json(proposal.model_dump_json()) == proposal
        return CaseResult(
            case=folder.name,
            passed=schema_valid and all(f.passed for f in checked),
            fields=checked,
            schema_valid=schema_valid,
            grounding_violations=sum(f.name == "grounding" for f in audited.failures),
            leak_violations=sum(f.name == "internal_leak" for f in audited.failures),
            violations_by_rule=audited.by_rule(),
            reasked=audited.attempts > 1,
            fallback=proposal.drafted_by.fallback_reason is not None,
            drafter=proposal.drafted_by.drafter,
        )

    return step
