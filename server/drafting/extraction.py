"""Signals read from conversations by Claude, each text read once, every quote grounded in code.

With ANTHROPIC_API_KEY (extraction mode auto or claude), Claude reads each interaction's text in the
signal window through a forced, strict `record_signals` tool call: the static rules are the system
block (prompts/extraction_system.j2), the catalog and the text go in the user message, the text as a
JSON string inside a <conversation> block the prompt declares data, with < and > escaped so no
transcript can close the block. The answer is cached in the store by a hash of the text, the model,
the catalog ids and the prompt version, so each text is read once; `skills.conversations.extraction.
ground` then keeps only signals whose quote is in the text. Without a key nothing is read and the
keyword rule stands alone; an API error or an unusable answer leaves that text to the keyword rule
(and uncached, so it is read again next time).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import anthropic
import httpx2
from anthropic.types import Message, MessageParam, ToolParam
from pydantic import ValidationError

from server.drafting import templates
from server.drafting.claude import describe, forced_tool_call, retrying
from server.settings import ExtractionSettings, Settings
from skills.catalog import Catalog
from skills.conversations.extraction import Grounded, ground
from skills.conversations.signal import ExtractionAnswer, SignalClaim
from skills.days import window_start
from skills.rules import Rules
from skills.snapshot import AccountSnapshot, Interaction

TOOL_NAME = "record_signals"
PROMPT_VERSION = "extraction-1"


class ExtractionError(Exception):
    """Claude could not read this text (API error, no tool call, an answer outside the schema)."""


class SignalReader(Protocol):
    model: str

    def read(self, interaction: Interaction, catalog: Catalog) -> list[SignalClaim]:
        """The signals in `interaction.text`, as claimed (not yet grounded); ExtractionError when it cannot."""
        ...


class ClaimCache(Protocol):
    def cached_claims(self, key: str) -> list[SignalClaim] | None: ...

    def keep_claims(self, key: str, model: str, claims: list[SignalClaim]) -> None: ...


@cache
def system_prompt() -> str:
    return templates().get_template("extraction_system.j2").render().strip()


@cache
def extraction_tool() -> ToolParam:
    return {
        "name": TOOL_NAME,
        "description": "Record every signal the customer voiced in the conversation, each with its exact quote.",
        "input_schema": anthropic.transform_schema(ExtractionAnswer),
        "strict": True,
    }


def conversation_block(text: str) -> str:
    """The text as a JSON string; < and > escaped so it cannot close the <conversation> block."""
    return json.dumps(text, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def user_prompt(interaction: Interaction, catalog: Catalog) -> str:
    return (
        templates()
        .get_template("extraction_user.j2")
        .render(
            channel=interaction.source,
            title=conversation_block(interaction.title)[1:-1] if interaction.title else "",
            day=interaction.ts.date().isoformat(),
            catalog=catalog,
            conversation=conversation_block(interaction.text),
        )
    )


def text_key(text: str, model: str, catalog: Catalog) -> str:
    """Same text, model, catalog ids and prompt version: the same reading, so it is read once."""
    ids = sorted([m.id for m in catalog.modules] + [t.id for t in catalog.tiers])
    ids += sorted(f for t in catalog.tiers for f in t.features)
    material = "\0".join([PROMPT_VERSION, model, ",".join(ids), text])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ClaudeReader:
    """Reads one text through the forced `record_signals` tool; tenacity owns retries (SDK max_retries=0)."""

    def __init__(
        self,
        settings: ExtractionSettings,
        *,
        http_client: httpx2.Client | None = None,
        api_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = settings.model
        self._settings = settings
        self._sleep = sleep
        self._client = anthropic.Anthropic(
            api_key=api_key, max_retries=0, timeout=settings.timeout_s, http_client=http_client
        )

    def read(self, interaction: Interaction, catalog: Catalog) -> list[SignalClaim]:
        retry = retrying(self._settings.max_attempts, self._settings.max_retry_wait_s, self._sleep)
        try:
            response = retry(self._create, user_prompt(interaction, catalog))
        except anthropic.APIError as exc:
            raise ExtractionError(describe(exc)) from exc
        block = next((b for b in response.content if b.type == "tool_use" and b.name == TOOL_NAME), None)
        if block is None:
            raise ExtractionError(f"no {TOOL_NAME} tool call in the response (stop_reason {response.stop_reason})")
        try:
            return ExtractionAnswer.model_validate(block.input).signals
        except ValidationError as exc:
            raise ExtractionError(f"answer outside the schema: {exc.errors()[0]['msg']}") from exc

    def _create(self, prompt: str) -> Message:
        messages: list[MessageParam] = [{"role": "user", "content": prompt}]
        return forced_tool_call(
            self._client, self.model, self._settings.max_tokens, system_prompt(), extraction_tool(), messages
        )


@dataclass
class ExtractionStats:
    """What one or more snapshots' reading did: texts read, served from the cache, failed; signals kept and dropped."""

    read: int = 0
    cached: int = 0
    failed: int = 0
    grounded: Grounded = field(default_factory=Grounded)
    errors: list[str] = field(default_factory=list)


class SignalExtraction:
    """Adds grounded signals to a snapshot; the calculators then read them from `extracted_signals`."""

    def __init__(self, reader: SignalReader, cache: ClaimCache, rules: Rules) -> None:
        self.reader = reader
        self.cache = cache
        self.window_days = max(rules.signals.interaction_window_days, rules.timing.trigger_window_days)
        self.stats = ExtractionStats()

    def claims(self, interaction: Interaction, catalog: Catalog) -> list[SignalClaim] | None:
        """The reader's claims for this text, from the cache when it was read before; None when reading failed."""
        key = text_key(interaction.text, self.reader.model, catalog)
        cached = self.cache.cached_claims(key)
        if cached is not None:
            self.stats.cached += 1
            return cached
        try:
            claims = self.reader.read(interaction, catalog)
        except ExtractionError as exc:
            self.stats.failed += 1
            self.stats.errors.append(f"{interaction.interaction_id}: {exc}")
            return None
        self.stats.read += 1
        self.cache.keep_claims(key, self.reader.model, claims)
        return claims

    def apply(self, snapshot: AccountSnapshot, catalog: Catalog) -> AccountSnapshot:
        start = window_start(snapshot.as_of, self.window_days)
        grounded = Grounded()
        for interaction in snapshot.interactions:
            if not interaction.text.strip() or not start <= interaction.ts.date() <= snapshot.as_of:
                continue
            claims = self.claims(interaction, catalog)
            if claims:
                grounded += ground(
                    claims,
                    interaction.text,
                    interaction_id=interaction.interaction_id,
                    day=interaction.ts.date(),
                    catalog=catalog,
                )
        self.stats.grounded += grounded
        if not grounded.signals and not snapshot.extracted_signals:
            return snapshot
        return snapshot.model_copy(update={"extracted_signals": grounded.signals})


def extraction_from_settings(settings: Settings, rules: Rules) -> SignalExtraction | None:
    """Claude reading with the store as cache when configured (auto: when ANTHROPIC_API_KEY is set), else None."""
    if not settings.extraction.enabled():
        return None
    from server.store import ProposalStore

    return SignalExtraction(ClaudeReader(settings.extraction), ProposalStore.from_settings(settings), rules)
