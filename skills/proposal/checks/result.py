"""What a check reports: every violation names the field, the span of text and the rule it breaks."""

from __future__ import annotations

from typing import Literal

from skills.evidence import Result
from skills.proposal.schema import DraftedText

FailureName = Literal[
    "schema", "coverage", "grounding", "internal_leak", "pitch_in_brief", "value_claim", "invented_need"
]


class CheckFailure(Result):
    name: FailureName
    field: str
    detail: str
    rule: str = ""
    span: str = ""

    def __str__(self) -> str:
        return f"{self.rule or self.name}: {self.field}: {self.detail}"


class CheckResult(Result):
    draft: DraftedText | None
    failures: tuple[CheckFailure, ...]

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.failures
