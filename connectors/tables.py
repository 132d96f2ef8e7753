"""Reading the small workspace CSV files into typed records, with file/line/column errors."""

from __future__ import annotations

import csv
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from connectors.errors import DataError, DataIssue

M = TypeVar("M", bound=BaseModel)
MAX_ISSUES = 50


def _is_tuple(annotation: Any) -> bool:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_tuple(a) for a in typing.get_args(annotation))
    return typing.get_origin(annotation) is tuple


def required_columns(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items() if field.is_required()]


@cache
def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items() if _is_tuple(field.annotation))


def _coerce(model: type[BaseModel], row: dict[str, str | None]) -> dict[str, Any]:
    """Blank cells mean "not given" (defaults apply); `;` separates list cells."""
    lists = _list_fields(model)
    out: dict[str, Any] = {}
    for name in model.model_fields:
        raw = (row.get(name) or "").strip()
        if raw:
            out[name] = tuple(p.strip() for p in raw.split(";") if p.strip()) if name in lists else raw
    return out


def read_table(path: Path, model: type[M], known_accounts: set[str] | None = None) -> list[M]:
    """All rows of `path` as `model`; raises DataError listing every bad cell (up to MAX_ISSUES).

    With `known_accounts`, a row whose account_id is not among them is an issue too: dropping it
    silently would lose evidence.
    """
    issues: list[DataIssue] = []
    total = 0
    records: list[M] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in required_columns(model) if c not in header]
        if missing:
            raise DataError(
                [DataIssue(file=path.name, line=1, message=f"missing required column(s): {', '.join(missing)}")]
            )
        for row in reader:
            try:
                record = model.model_validate(_coerce(model, row))
            except ValidationError as exc:
                found = [_issue(path.name, reader.line_num, row, err) for err in exc.errors()]
            else:
                account_id = getattr(record, "account_id", None)
                if known_accounts is None or account_id in known_accounts:
                    records.append(record)
                    continue
                found = [
                    DataIssue(
                        file=path.name,
                        line=reader.line_num,
                        column="account_id",
                        value=account_id,
                        message="account not in accounts.csv",
                    )
                ]
            total += len(found)
            issues.extend(found[: MAX_ISSUES - len(issues)])
    if total:
        raise DataError(issues, total)
    return records


def _issue(file: str, line: int, row: dict[str, str | None], err: Any) -> DataIssue:
    column = str(err["loc"][0]) if err["loc"] else None
    value = row.get(column) if column else None
    message = "is empty" if err["type"] == "missing" else err["msg"]
    return DataIssue(file=file, line=line, column=column, value=value or None, message=message)


def group_by_account(records: list[M]) -> dict[str, list[M]]:
    grouped: dict[str, list[M]] = {}
    for record in records:
        grouped.setdefault(str(getattr(record, "account_id")), []).append(record)  # noqa: B009 (generic M)
    return grouped
