"""The Claude drafter: words from Claude through a forced, strict `draft` tool call; numbers stay the desk's.

The static rules are one cached system block (prompts/claude_system.j2); the account's evidence goes
in the user message as a JSON data block that the prompt declares data, never instructions.
Tenacity owns retries (the SDK client has `max_retries=0`, so the layers do not multiply): 429, 529
and other 5xx, connection errors and timeouts are retried, honouring `retry-after`, until
`max_attempts` or until the next wait would exceed the `max_retry_wait_s` budget. `sleep` is
injectable so tests can assert the waits without sleeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import cache

import anthropic
import httpx2
from anthropic.types import (
    AssistantMessageParam,
    Message,
    MessageParam,
    TextBlockParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlockParam,
    UserMessageParam,
)
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_any
from tenacity.stop import stop_base

from server.drafting import Attempt, DraftError, Rejected, templates
from server.settings import DrafterSettings
from skills.proposal.schema import DraftedText, DrafterName, DraftFacts

TOOL_NAME = "draft"
RETRYABLE = (anthropic.RateLimitError, anthropic.InternalServerError, anthropic.APIConnectionError)
BACKOFF_S = 1.0
KINDS = {
    "expansion_proposal": "expansion proposal",
    "fix_footprint_first": "'fix the footprint first' brief (no pitch)",
    "wait_until": "'wait until' brief (no pitch)",
}


@cache
def system_prompt() -> str:
    return templates().get_template("claude_system.j2").render().strip()


@cache
def draft_tool() -> ToolParam:
    return {
        "name": TOOL_NAME,
        "description": "Submit the drafted words of the proposal. Every number must be copied from the evidence.",
        "input_schema": anthropic.transform_schema(DraftedText),
        "strict": True,
    }


def evidence_block(facts: DraftFacts) -> str:
    """The account's evidence as JSON; < and > are escaped so no customer text can close the data block."""
    data = {
        "account_name": facts.account_name,
        "contact_first_name": facts.contact,
        "as_of": facts.as_of.isoformat(),
        "offer": facts.offer,
        "lines": [{"topic": e.topic, "audience": e.audience, "line": e.line} for e in facts.lines],
    }
    return json.dumps(data, indent=1, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def user_prompt(facts: DraftFacts) -> str:
    return templates().get_template("claude_user.j2").render(f=facts, kinds=KINDS, evidence=evidence_block(facts))


def reask_prompt(facts: DraftFacts, rejected: Rejected) -> str:
    return templates().get_template("claude_reask.j2").render(f=facts, failures=rejected.failures)


def retry_after(exc: BaseException | None) -> float | None:
    """The server's `retry-after` in seconds, when it sent one."""
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    try:
        return max(0.0, float(exc.response.headers.get("retry-after", "")))
    except ValueError:
        return None


def describe(exc: BaseException) -> str:
    if isinstance(exc, anthropic.APIStatusError):
        return f"HTTP {exc.status_code} {exc.type or 'error'}: {exc.api_message or exc.message}"
    if isinstance(exc, anthropic.APITimeoutError):
        return "request timed out"
    return f"{type(exc).__name__}: {exc}"


class ClaudeDrafter:
    name: DrafterName = "claude"

    def __init__(
        self,
        settings: DrafterSettings,
        *,
        http_client: httpx2.Client | None = None,
        api_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model: str | None = settings.model
        self._settings = settings
        self._sleep = sleep
        self._client = anthropic.Anthropic(
            api_key=api_key, max_retries=0, timeout=settings.timeout_s, http_client=http_client
        )

    def draft(self, facts: DraftFacts, rejected: Rejected | None = None) -> Attempt:
        retrying = self._retrying()
        try:
            response = retrying(self._create, self._messages(facts, rejected))
        except anthropic.APIError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise DraftError(f"{describe(exc)} (after {attempts} attempt{'s' if attempts != 1 else ''})") from exc
        block = next((b for b in response.content if b.type == "tool_use" and b.name == TOOL_NAME), None)
        if block is None:
            raise DraftError(f"no {TOOL_NAME} tool call in the response (stop_reason {response.stop_reason})")
        return Attempt(payload=dict(block.input), ref=block.id)

    def _messages(self, facts: DraftFacts, rejected: Rejected | None) -> list[MessageParam]:
        """The request, and on a re-ask the rejected tool call answered by a tool_result that lists the failures."""
        first: UserMessageParam = {"role": "user", "content": user_prompt(facts)}
        messages: list[MessageParam] = [first]
        if rejected is None:
            return messages
        ref = rejected.attempt.ref or "toolu_rejected"
        tool_use: ToolUseBlockParam = {
            "type": "tool_use",
            "id": ref,
            "name": TOOL_NAME,
            "input": rejected.attempt.payload,
        }
        result: ToolResultBlockParam = {
            "type": "tool_result",
            "tool_use_id": ref,
            "is_error": True,
            "content": reask_prompt(facts, rejected),
        }
        assistant: AssistantMessageParam = {"role": "assistant", "content": [tool_use]}
        answer: UserMessageParam = {"role": "user", "content": [result]}
        messages += [assistant, answer]
        return messages

    def _create(self, messages: list[MessageParam]) -> Message:
        return forced_tool_call(
            self._client, self._settings.model, self._settings.max_tokens, system_prompt(), draft_tool(), messages
        )

    def _retrying(self) -> Retrying:
        return retrying(self._settings.max_attempts, self._settings.max_retry_wait_s, self._sleep)


def forced_tool_call(
    client: anthropic.Anthropic, model: str, max_tokens: int, system: str, tool: ToolParam, messages: list[MessageParam]
) -> Message:
    """One Messages call that must answer with `tool`; the static system block is marked for prompt caching."""
    blocks: list[TextBlockParam] = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    return client.messages.create(
        model=model,
        max_tokens=max_tokens,
        system=blocks,
        tools=[tool],
        tool_choice={"type": "tool", "name": tool["name"]},
        messages=messages,
    )


def retry_wait(state: RetryCallState) -> float:
    """The server's retry-after when it gave one, else exponential backoff from BACKOFF_S."""
    exc = state.outcome.exception() if state.outcome else None
    after = retry_after(exc)
    return after if after is not None else BACKOFF_S * 2 ** (state.attempt_number - 1)


def retrying(max_attempts: int, budget_s: float, sleep: Callable[[float], None]) -> Retrying:
    """tenacity owns the retries (the SDK's are off): 429, 5xx, 529 and connection errors, up to
    `max_attempts`, stopping early when the next wait would take the total past `budget_s`."""
    return Retrying(
        retry=retry_if_exception_type(RETRYABLE),
        wait=retry_wait,
        stop=stop_any(stop_after_attempt(max_attempts), _OverBudget(budget_s)),
        sleep=sleep,
        reraise=True,
    )


class _OverBudget(stop_base):
    """Stop when the next wait would take the total time spent waiting past the budget."""

    def __init__(self, budget_s: float) -> None:
        self._budget_s = budget_s

    def __call__(self, state: RetryCallState) -> bool:
        return state.idle_for + retry_wait(state) > self._budget_s
