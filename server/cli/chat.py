"""`expansion-desk chat`: a terminal conversation with Claude over the desk's MCP tools.

Exit codes: 0 when the conversation ends (EOF, Ctrl-C) or `--once` answered; 1 when `--once` could
not answer (API error, step limit, cut-off answer) or the MCP server cannot be started or reached; 2 for
a missing API key, a bad session name or file, or bad settings, all reported before the server starts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import anthropic
import click
from rich.markup import escape

from server.chat.session import (
    DEFAULT_MAX_TOOL_ROUNDS,
    ChatError,
    ChatSession,
    connect,
    load_history,
    save_history,
    server_log_path,
    server_params,
    session_path,
)
from server.cli.common import err, user_errors
from server.settings import Settings, load_settings

NO_KEY = (
    "ANTHROPIC_API_KEY is not set: chat talks to Claude through the Anthropic API. "
    "Set it with `export ANTHROPIC_API_KEY=sk-ant-...` (a key from https://console.anthropic.com/settings/keys) "
    "and run the command again."
)
LABEL_WIDTH = 120


def call_label(name: str, arguments: Mapping[str, object]) -> str:
    """`→ rank_accounts(limit=5)`, cut to one line."""
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    label = f"→ {name}({args})"
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"


class TerminalSink:
    """Answer text on stdout as it streams; tool calls and problems dimmed on stderr, each on its own line."""

    def __init__(self) -> None:
        self._midline = False

    def text(self, delta: str) -> None:
        click.echo(delta, nl=False)
        sys.stdout.flush()
        self._midline = not delta.endswith("\n")

    def tool_call(self, name: str, arguments: Mapping[str, object]) -> None:
        self._note(call_label(name, arguments))

    def tool_error(self, name: str, message: str) -> None:
        first = message.split("\n", 1)[0]
        self._note(f"  ✗ {name}: {first[:LABEL_WIDTH]}")

    def end_line(self) -> None:
        if self._midline:
            click.echo()
            self._midline = False

    def problem(self, message: str) -> None:
        self.end_line()
        err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)

    def _note(self, line: str) -> None:
        self.end_line()
        err.print(line, style="dim", markup=False, highlight=False, soft_wrap=True)


def api_client(settings: Settings) -> anthropic.Anthropic:
    """The SDK retries (429, 5xx, 529, connection errors, honouring retry-after) up to drafter.max_attempts."""
    drafter = settings.drafter
    return anthropic.Anthropic(max_retries=drafter.max_attempts - 1, timeout=drafter.timeout_s)


def turn(session: ChatSession, sink: TerminalSink, question: str, save: Path | None) -> bool:
    """Ask one question and save the conversation; False (reported) when it could not be answered."""
    try:
        session.ask(question)
        answered = True
    except ChatError as exc:
        sink.problem(str(exc))
        answered = False
    sink.end_line()
    if save is not None:
        save_history(save, session.messages)
    return answered


def converse(session: ChatSession, sink: TerminalSink, save: Path | None) -> None:
    """Question, answer, repeat until EOF; after an API error the next question goes on."""
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            click.echo()
            return
        if question:
            turn(session, sink, question, save)
            click.echo()


@click.command()
@click.option("--once", "question", metavar="QUESTION", help="Answer one question and exit (for scripts).")
@click.option("--session", "session_name", metavar="NAME", help="Save the conversation as NAME and resume it later.")
@click.option("--url", metavar="URL", help="Use a running `serve --http` server (e.g. http://host:8765/mcp).")
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    help="Workspace folder for the started server (default: the bundled demo).",
)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Settings TOML file.")
@click.option(
    "--max-steps",
    type=click.IntRange(1, 50),
    default=DEFAULT_MAX_TOOL_ROUNDS,
    show_default=True,
    help="Tool rounds allowed per question before the assistant stops.",
)
def chat(
    question: str | None,
    session_name: str | None,
    url: str | None,
    workspace: Path | None,
    config: Path | None,
    max_steps: int,
) -> None:
    """Ask Claude about your book: it reaches the data only through the desk's MCP tools.

    Starts `expansion-desk serve` over stdio (or uses --url, with the bearer token from
    EXPANSION_DESK_HTTP_TOKEN) and needs ANTHROPIC_API_KEY. Ctrl-D or Ctrl-C ends the conversation.
    """
    if url and workspace:
        raise click.UsageError("--workspace applies to the server chat starts; the server at --url uses its own")
    if not os.environ.get("ANTHROPIC_API_KEY"):
        err.print(f"[red]error:[/red] {escape(NO_KEY)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    with user_errors():
        save = session_path(session_name) if session_name is not None else None
        history = load_history(save) if save is not None and save.exists() else []
        settings = load_settings(config)
    token = settings.http_token.get_secret_value() if settings.http_token else None
    sink = TerminalSink()
    target = url or server_params(workspace, config)
    try:
        with connect(target, token, None if url else server_log_path()) as tools:
            session = ChatSession(
                api_client(settings),
                tools,
                sink,
                model=settings.drafter.model,
                max_tokens=settings.drafter.max_tokens,
                max_tool_rounds=max_steps,
                messages=history,
            )
            if question is None:
                greet(session, session_name if history else None)
                converse(session, sink, save)
            elif not turn(session, sink, question, save):
                sys.exit(1)
    except KeyboardInterrupt:
        sink.end_line()
    except ChatError as exc:
        sink.problem(str(exc))
        sys.exit(1)


def greet(session: ChatSession, resumed: str | None) -> None:
    again = f" · resumed {resumed} ({len(session.messages)} messages)" if resumed else ""
    line = f"Expansion Desk chat · {session.model} · {len(session.tool_definitions)} tools{again} · Ctrl-D to quit"
    err.print(line, style="dim", markup=False, highlight=False, soft_wrap=True)


COMMANDS = (chat,)
