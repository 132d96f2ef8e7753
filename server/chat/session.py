"""The CSM assistant: a conversation with Claude that reaches the desk's data only through its MCP tools.

`ChatSession` runs the Messages API tool-use loop over any `ToolHost` and streams the answer to a
`Sink`. In production the host is an MCP client session (the stdio server this module starts, or a
running HTTP server), driven from the synchronous terminal loop through an anyio portal thread. The
model sees account facts only as tool results, so the system prompt can demand that every figure be
quoted from one. Retries on 429, 5xx, 529 and connection errors are the SDK's (they happen before a
stream starts, so no answer text is printed twice); `ChatError` carries what the user should read.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any, Protocol, cast

import anthropic
import httpx2
from anthropic.types import (
    ContentBlockParam,
    Message,
    MessageParam,
    TextBlockParam,
    ToolParam,
    ToolResultBlockParam,
    ToolUseBlock,
)
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent, Tool

from server.drafting import templates
from server.drafting.claude import describe
from server.settings import default_store_path

DEFAULT_MAX_TOOL_ROUNDS = 8
SESSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)  # the MCP SDK's own defaults: a response may stream for long


class ChatError(Exception):
    """A turn that could not finish; the message is one line the user can act on."""


class ToolHost(Protocol):
    """What the assistant needs from an MCP client session."""

    def list_tools(self) -> list[Tool]: ...

    def call_tool(self, name: str, arguments: dict[str, Any]) -> CallToolResult: ...


class Sink(Protocol):
    """Where the conversation shows up as it happens."""

    def text(self, delta: str) -> None: ...

    def tool_call(self, name: str, arguments: Mapping[str, object]) -> None: ...

    def tool_error(self, name: str, message: str) -> None: ...


@cache
def system_prompt() -> str:
    return templates().get_template("chat_system.j2").render().strip()


def tool_params(tools: Sequence[Tool]) -> list[ToolParam]:
    """The MCP tool list as Messages API tools; the breakpoint on the last one caches them all."""
    params: list[ToolParam] = [
        {"name": t.name, "description": t.description or "", "input_schema": t.input_schema} for t in tools
    ]
    if params:
        params[-1]["cache_control"] = {"type": "ephemeral"}
    return params


def result_blocks(result: CallToolResult) -> list[TextBlockParam]:
    """The tool's text content (the server's summary, then its structured JSON) as the model reads it."""
    return [{"type": "text", "text": c.text} for c in result.content if isinstance(c, TextContent) and c.text]


def api_error_message(exc: anthropic.APIError, attempts: int) -> str:
    """One line for the user; retried failures say how often they were tried."""
    if isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400:  # an error event inside a stream
        return f"Claude API: the answer broke off ({exc.type or 'error'}: {exc.api_message or exc.message}); ask again"
    message = f"Claude API: {describe(exc)}"
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return f"{message}; check ANTHROPIC_API_KEY"
    if isinstance(exc, anthropic.RateLimitError | anthropic.InternalServerError | anthropic.APIConnectionError):
        return f"{message} (after {attempts} attempt{'s' if attempts != 1 else ''}); try again in a moment"
    return message


class ChatSession:
    """One conversation: the history in Messages API format, and the tool-use loop for each question.

    The history stays valid for the API between questions: every tool_use is answered by a tool_result,
    a failed request rolls the question back, and a question after unanswered tool results joins them
    in one user message.
    """

    def __init__(
        self,
        client: anthropic.Anthropic,
        tools: ToolHost,
        sink: Sink,
        *,
        model: str,
        max_tokens: int,
        max_tool_rounds: int = DEFAULT_MAX_TOOL_ROUNDS,
        messages: Sequence[MessageParam] = (),
    ) -> None:
        self.client = client
        self.sink = sink
        self.model = model
        self.max_tokens = max_tokens
        self.max_tool_rounds = max_tool_rounds
        self.messages: list[MessageParam] = list(messages)
        self.tool_definitions = tool_params(tools.list_tools())
        self._host = tools
        self._system: list[TextBlockParam] = [
            {"type": "text", "text": system_prompt(), "cache_control": {"type": "ephemeral"}}
        ]

    def ask(self, question: str) -> str:
        """Answer one question, calling tools as the model asks; returns the final answer's text."""
        before = list(self.messages)
        self._add_user([{"type": "text", "text": question}])
        try:
            return self._turn()
        except anthropic.APIError as exc:
            self.messages[:] = before
            raise ChatError(api_error_message(exc, self.client.max_retries + 1)) from exc

    def _turn(self) -> str:
        rounds = 0
        while True:
            reply = self._reply()
            calls = [b for b in reply.content if isinstance(b, ToolUseBlock)]
            wants_tools = reply.stop_reason == "tool_use" and bool(calls)
            self._add_assistant(reply, with_tools=wants_tools)
            if not wants_tools:
                return self._final(reply)
            if rounds == self.max_tool_rounds:
                self._add_user([self._not_run(c) for c in calls])
                raise ChatError(
                    f"stopped after {rounds} tool rounds without a final answer (the limit for one question); "
                    "ask a narrower question, or raise --max-steps"
                )
            rounds += 1
            self._add_user([self._run_tool(c) for c in calls])

    def _reply(self) -> Message:
        """Stream one response, showing its text as it arrives."""
        with self.client.messages.stream(
            model=self.model,
            max_tokens=self.max_tokens,
            system=self._system,
            tools=self.tool_definitions,
            messages=self.messages,
        ) as stream:
            for delta in stream.text_stream:
                self.sink.text(delta)
            return stream.get_final_message()

    def _final(self, reply: Message) -> str:
        if reply.stop_reason == "max_tokens":
            raise ChatError(f"the answer was cut off at {self.max_tokens} tokens; ask for less at a time")
        return "".join(b.text for b in reply.content if b.type == "text")

    def _run_tool(self, call: ToolUseBlock) -> ToolResultBlockParam:
        self.sink.tool_call(call.name, call.input)
        try:
            result = self._host.call_tool(call.name, dict(call.input))
        except MCPError as exc:  # a protocol-level failure: the model can still read it and recover
            result = CallToolResult(content=[TextContent(type="text", text=f"Tool call failed: {exc}")], is_error=True)
        blocks = result_blocks(result)
        if result.is_error:
            self.sink.tool_error(call.name, " ".join(b["text"] for b in blocks))
        return {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": blocks or "(the tool returned no text)",
            "is_error": result.is_error,
        }

    def _not_run(self, call: ToolUseBlock) -> ToolResultBlockParam:
        return {
            "type": "tool_result",
            "tool_use_id": call.id,
            "content": f"Not run: the limit of {self.max_tool_rounds} tool rounds for one question was reached. "
            "Answer with the results you have, and say what is left to look up.",
            "is_error": True,
        }

    def _add_assistant(self, reply: Message, *, with_tools: bool) -> None:
        """Text and, when they will be answered, tool calls; an empty reply adds nothing."""
        content: list[ContentBlockParam] = []
        for block in reply.content:
            if block.type == "text" and block.text:
                content.append({"type": "text", "text": block.text})
            elif isinstance(block, ToolUseBlock) and with_tools:
                content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
        if content:
            self.messages.append({"role": "assistant", "content": content})

    def _add_user(self, content: Sequence[ContentBlockParam]) -> None:
        """A new user message, or joined to the last one (replaced, not mutated, so a rollback holds)."""
        if self.messages and self.messages[-1]["role"] == "user":
            prior = self.messages[-1]["content"]
            if isinstance(prior, str):
                prior = [{"type": "text", "text": prior}]
            self.messages[-1] = {"role": "user", "content": [*prior, *content]}
        else:
            self.messages.append({"role": "user", "content": list(content)})


def chats_dir() -> Path:
    """Saved conversations live in the user's data folder, where the default proposal store is (XDG_DATA_HOME)."""
    return default_store_path().parent / "chats"


def session_path(name: str) -> Path:
    if not SESSION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid session name {name!r}: use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (no path separators)"
        )
    return chats_dir() / f"{name}.json"


def load_history(path: Path) -> list[MessageParam]:
    """The saved messages, checked enough that a damaged file is reported rather than sent to the API."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the saved chat: {exc}") from exc
    messages = data.get("messages") if isinstance(data, dict) else None
    valid = isinstance(messages, list) and all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str | list)
        for m in messages
    )
    if not valid:
        raise ValueError(f"{path}: not a saved chat (expected {{'messages': [...]}} in Messages API format)")
    return cast(list[MessageParam], messages)


def save_history(path: Path, messages: Sequence[MessageParam]) -> None:
    """Atomically, readable by the user only: chats hold internal notes such as discount authority."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as f:
        json.dump({"version": 1, "messages": list(messages)}, f, ensure_ascii=False, indent=1)
    os.replace(f.name, path)


class McpTools:
    """A connected MCP client, called from synchronous code: each call runs on the portal's event loop."""

    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self._portal = portal
        self._client = client

    def list_tools(self) -> list[Tool]:
        tools: list[Tool] = []
        cursor: str | None = None
        while True:
            page = self._portal.call(partial(self._client.list_tools, cursor=cursor))
            tools += page.tools
            cursor = page.next_cursor
            if not cursor:
                return tools

    def call_tool(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        result: CallToolResult = self._portal.call(self._client.call_tool, name, arguments)
        return result


def server_params(
    workspace: Path | None, config: Path | None, env: Mapping[str, str] | None = None
) -> StdioServerParameters:
    """`expansion-desk serve` over stdio with this interpreter, in the caller's environment by default
    (the SDK would otherwise hand the child only a minimal one, losing EXPANSION_DESK_* and XDG_*)."""
    args = ["-m", "server.cli", "serve"]
    if workspace is not None:
        args += ["--workspace", str(workspace.resolve())]
    if config is not None:
        args += ["--config", str(config.resolve())]
    return StdioServerParameters(command=sys.executable, args=args, env=dict(os.environ if env is None else env))


def server_log_path() -> Path:
    """Where a started server's stderr goes, so its logging does not interleave with the conversation."""
    return default_store_path().parent / "chat-server.log"


@contextmanager
def connect(
    target: StdioServerParameters | str, token: str | None = None, log: Path | None = None
) -> Iterator[McpTools]:
    """An MCP client session on the stdio server `target` starts (its stderr to `log` when given), or on
    the HTTP server at URL `target` (with `token` as bearer); closed, and a started server stopped, on exit.

    Whatever ends the block (Ctrl-C, sys.exit, an error) is re-raised only after the session has closed
    normally: thrown into the SDK's task groups, it would come back wrapped in an exception group.
    """
    where = target if isinstance(target, str) else "started with " + " ".join(target.args)
    refused: list[int] = []  # 401/403 answers, which the SDK reports only as "an error response"
    ended_by: BaseException | None = None
    with start_blocking_portal() as portal, ExitStack() as stack:
        try:
            client = _client(stack, portal, target, token, log, refused)
            session = stack.enter_context(portal.wrap_async_context_manager(client))
        except Exception as exc:
            raise ChatError(f"could not connect to the MCP server ({where}): {why(exc, log, refused)}") from exc
        try:
            yield McpTools(portal, session)
        except BaseException as exc:
            ended_by = exc
    if ended_by is not None:
        raise ended_by


def _client(
    stack: ExitStack,
    portal: BlockingPortal,
    target: StdioServerParameters | str,
    token: str | None,
    log: Path | None,
    refused: list[int],
) -> Client:
    if isinstance(target, str):

        async def note_refusal(response: httpx2.Response) -> None:
            if response.status_code in (401, 403):
                refused.append(response.status_code)

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx2.AsyncClient(headers=headers, timeout=HTTP_TIMEOUT, event_hooks={"response": [note_refusal]})
        return Client(
            streamable_http_client(target, http_client=stack.enter_context(portal.wrap_async_context_manager(http)))
        )
    if log is None:
        return Client(target)
    log.parent.mkdir(parents=True, exist_ok=True)
    return Client(stdio_client(target, errlog=stack.enter_context(log.open("w", encoding="utf-8"))))


def why(exc: Exception, log: Path | None, refused: list[int]) -> str:
    if refused:
        return f"HTTP {refused[0]}: the server refused the bearer token; set EXPANSION_DESK_HTTP_TOKEN to its token"
    return root_message(exc) + (last_line(log) if log is not None else "")


def last_line(log: Path) -> str:
    """The server's own last words (e.g. a bad workspace) and where to read the rest."""
    try:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f"; server log {log}" + (f": {lines[-1].strip()}" if lines else "")


def root_message(exc: BaseException) -> str:
    """The first underlying failure of a task group's exception group, as one line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return " ".join(str(exc).split()) or type(exc).__name__
