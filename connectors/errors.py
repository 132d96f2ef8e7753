"""Errors a user can act on: what is wrong, where (file, line, column, account id), what to try."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic import BaseModel


class DataIssue(BaseModel):
    file: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line is not None else "")
        where += f" column {self.column!r}" if self.column else ""
        shown = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{shown}"


class DataError(ValueError):
    """Bad input data; carries every issue found so a user can fix them in one pass."""

    def __init__(self, issues: Iterable[DataIssue], total: int | None = None) -> None:
        self.issues = list(issues)
        self.total = total if total is not None else len(self.issues)
        lines = [str(i) for i in self.issues]
        if self.total > len(self.issues):
            lines.append(f"... and {self.total - len(self.issues)} more")
        super().__init__(f"{self.total} data problem(s):\n  " + "\n  ".join(lines))


class UnknownAccountError(LookupError):
    def __init__(self, account_id: str, suggestions: list[str]) -> None:
        self.account_id = account_id
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown account {account_id!r}{hint}")


class SourceError(RuntimeError):
    """A connector could not reach or read its source; the message names the source."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


def closest(query: str, candidates: dict[str, str], limit: int = 3) -> list[str]:
    """Ids whose id or label looks most like `query`, as "ID (label)"."""
    q = query.lower()
    scored = []
    for key, label in candidates.items():
        ratio = max(
            difflib.SequenceMatcher(None, q, key.lower()).ratio(),
            difflib.SequenceMatcher(None, q, label.lower()).ratio(),
        )
        scored.append((ratio, key, label))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [f"{key} ({label})" for ratio, key, label in scored[:limit] if ratio > 0.3]
