"""Drafters write the words of a proposal (`DraftedText`) from `DraftFacts`; they never set a number.

Two drafters share one interface: the offline template drafter (default) and the Claude drafter.
Whatever a drafter returns is checked by `skills.proposal.checks` before anyone sees it.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from functools import cache
from typing import Any, Protocol

import jinja2

from skills.evidence import Result, day, money
from skills.proposal.checks import CheckFailure
from skills.proposal.schema import DrafterName, DraftFacts


class Attempt(Result):
    """One draft as the drafter returned it (unvalidated), with its reference for a re-ask."""

    payload: dict[str, Any]
    ref: str | None = None


class Rejected(Result):
    attempt: Attempt
    failures: tuple[CheckFailure, ...]


class DraftError(Exception):
    """The drafter could not produce a draft at all (API down, no tool call); the template takes over."""


class Drafter(Protocol):
    name: DrafterName
    model: str | None

    def draft(self, facts: DraftFacts, rejected: Rejected | None = None) -> Attempt:
        """A draft for `facts`; with `rejected`, a second try told what failed the checks."""
        ...


def midsentence(text: str) -> str:
    """Lower-case a capitalised first word ("Approval cycle…") but keep acronyms ("SSO rollout…")."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def cell(text: object) -> str:
    """Safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


class _Templates(jinja2.Environment):
    """An environment that compiles each template once even when many threads ask for it first at
    the same moment, as a server's first calls do: without the lock each of them compiled it (20
    threads: 72 compiles of 8 templates, ~30 ms each). Re-entrant: a template that imports another
    asks for it while rendering."""

    _loading = threading.RLock()

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        with self._loading:
            return super().get_template(name, parent, globals)


@cache
def templates(documents: bool = False) -> jinja2.Environment:
    """The prompts/ templates, loaded from the installed package; a missing variable is an error.

    Draft text is whitespace-collapsed after rendering, so its templates keep block newlines (no word
    is ever glued to the next); the Markdown documents trim them to keep tables intact.
    """
    env = _Templates(
        loader=jinja2.PackageLoader("prompts", ""),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=documents,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(money=money, day=day, midsentence=midsentence, cell=cell)
    return env
