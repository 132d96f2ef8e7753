"""Reading the small workspace CSV files into typed records, with file/line/column errors.

One pass per column: each column's cells are parsed by a converter built once from the record's
field (type, allowed values, plausible bounds), with repeated cells (dates, enums, amounts) parsed
once. The typed rows are then built into records; a bad cell is reported with its file, line,
column and value, every problem of the file at once (up to MAX_ISSUES shown).
"""

from __future__ import annotations

import csv
import io
import math
import sys
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, TypeVar

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from connectors.errors import DataError, DataIssue
from connectors.text_files import read_text
from skills.snapshot import EARLIEST_DAY, LATEST_DAY, utc_naive

M = TypeVar("M", bound=BaseModel)
MAX_ISSUES = 50
MAX_SHOWN_VALUE = 80
Parse = Callable[[str], Any]
ParseAll = Callable[[list[str]], list[Any]]


class CellError(ValueError):
    """A cell that is not a value of its column; the message says what the column takes."""


def required_columns(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if f.is_required()]


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None` and `Annotated[...]`, and whether None was allowed."""
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, optional


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    low = high = None
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            low = float(meta.ge if isinstance(meta, annotated_types.Ge) else meta.gt)  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Le | annotated_types.Lt):
            high = float(meta.le if isinstance(meta, annotated_types.Le) else meta.lt)  # type: ignore[arg-type]
    return low, high


def _ranged(parse: Callable[[str], float], low: float | None, high: float | None) -> Parse:
    if low is None and high is None:
        where = "a finite number"
    elif high is None:
        where = f"at least {_number(low or 0)}"
    elif low is None:
        where = f"at most {_number(high)}"
    else:
        where = f"between {_number(low)} and {_number(high)}"

    def checked(text: str) -> float:
        try:
            value = parse(text)
        except CellError:
            raise
        except (ValueError, OverflowError):
            raise CellError(f"not a number (expected {where})") from None
        if not _finite(value) or (low is not None and value < low) or (high is not None and value > high):
            raise CellError(f"out of range: must be {where}")
        return value

    return checked


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # a whole number too long for a float
        return False


def _ranged_at_once(parse: Callable[[str], float], low: float | None, high: float | None) -> ParseAll:
    def checked(texts: list[str]) -> list[float]:
        values = list(map(parse, texts))
        if values and not (
            all(map(math.isfinite, values))
            and (low is None or min(values) >= low)
            and (high is None or max(values) <= high)
        ):
            raise ValueError("out of range")
        return values

    return checked


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)  # "12.0" from a spreadsheet is 12; "12.5" is not a count
        if math.isfinite(value) and not value.is_integer():
            raise CellError("not a whole number") from None
        return int(value) if math.isfinite(value) else int("nan")


def _day(text: str) -> date:
    try:
        if len(text) > 10 and text[10] in "T ":
            value = utc_naive(datetime.fromisoformat(text)).date()
        elif len(text) == 10:
            value = date.fromisoformat(text)
        else:
            raise ValueError(text)
    except ValueError:
        raise CellError("not an ISO 8601 date (YYYY-MM-DD)") from None
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise CellError(f"out of range: must be a day between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def _time(text: str) -> datetime:
    try:
        value = utc_naive(datetime.fromisoformat(text))
    except ValueError:
        raise CellError("not an ISO 8601 timestamp") from None
    if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        raise CellError(f"out of range: must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def _days_at_once(texts: list[str]) -> list[date]:
    """`_day` of YYYY-MM-DD texts, every one in range (a timestamp, or any bad one, raises)."""
    if set(map(len, texts)) - {10}:
        raise ValueError("not all YYYY-MM-DD")
    values = list(map(date.fromisoformat, texts))
    if values and not EARLIEST_DAY <= min(values) <= max(values) <= LATEST_DAY:
        raise ValueError("out of range")
    return values


def _times_at_once(texts: list[str]) -> list[datetime]:
    """`_time` of timestamps without an offset, every one in range (one with an offset raises: it is
    converted cell by cell; naive and aware together raise TypeError when compared)."""
    values = list(map(datetime.fromisoformat, texts))
    if values:
        low, high = min(values), max(values)
        if low.tzinfo is not None or high.tzinfo is not None:
            raise ValueError("an offset to convert")
        if not EARLIEST_DAY <= low.date() <= high.date() <= LATEST_DAY:
            raise ValueError("out of range")
    return values


def _choice(allowed: tuple[str, ...]) -> Parse:
    def checked(text: str) -> str:
        if text not in allowed:
            raise CellError(f"must be one of {', '.join(allowed)}")
        return text

    return checked


def _choices_at_once(allowed: tuple[str, ...]) -> ParseAll:
    def checked(texts: list[str]) -> list[str]:
        if not set(texts) <= set(allowed):
            raise ValueError("not all allowed")
        return texts

    return checked


def _items(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


@dataclass(frozen=True)
class Converter:
    """A field's cell parser (a bad cell raises CellError saying what the column takes) and, for a
    typed column (dates, timestamps, enums, numbers), the same parse of many cells at once, which
    raises for any bad one (`_parsed_at_once`): only a column with a bad cell is parsed cell by cell,
    to name it (interactions.csv of a 100,000-account book: 11.1 -> 8.3 CPU-s, its timestamps
    1.68 -> 0.20 s)."""

    parse: Parse
    at_once: ParseAll | None = None


@cache
def converters(model: type[BaseModel]) -> dict[str, Converter]:
    out: dict[str, Converter] = {}
    for name, info in model.model_fields.items():
        kind, _ = _unwrap(info.annotation)
        low, high = _bounds(info)
        if typing.get_origin(kind) is Literal:
            allowed = tuple(str(a) for a in typing.get_args(kind))
            out[name] = Converter(_choice(allowed), _choices_at_once(allowed))
        elif typing.get_origin(kind) is tuple:
            out[name] = Converter(_items)
        elif kind is bool:
            raise TypeError(f"{model.__name__}.{name}: bool columns are not read from CSV")
        elif kind is int:
            out[name] = Converter(_ranged(_whole, low, high), _ranged_at_once(int, low, high))
        elif kind is float:
            out[name] = Converter(_ranged(float, low, high), _ranged_at_once(float, low, high))
        elif kind is datetime:
            out[name] = Converter(_time, _times_at_once)
        elif kind is date:
            out[name] = Converter(_day, _days_at_once)
        else:
            out[name] = Converter(str)
    return out


@cache
def validated_per_row(model: type[BaseModel]) -> bool:
    """Whether records need pydantic's own validation row by row: field validators, enum fields, or
    model validators that see the raw input, none of which the column converters apply. Cross-field
    rules on the built record (`mode="after"`) are run on the constructed records (`_check_after_rules`)."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or any(d.info.mode != "after" for d in decorators.model_validators.values()):
        return True
    kinds = (_unwrap(info.annotation)[0] for info in model.model_fields.values())
    return any(isinstance(kind, type) and issubclass(kind, Enum) for kind in kinds)


@cache
def after_rules(model: type[BaseModel]) -> tuple[Callable[[BaseModel], Any], ...]:
    """The model's own `mode="after"` validators (renewal after contract start): each takes a built
    record and raises ValueError for a bad one, as pydantic would have called it."""
    return tuple(d.func for d in model.__pydantic_decorators__.model_validators.values())


@dataclass
class Table:
    """What one file gave: the good records, the problems (first MAX_ISSUES) and their count."""

    file: str
    records: list[Any] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)
    total: int = 0
    ids: set[str] = field(default_factory=set)
    """Every account id the file names, good rows or bad (so other files are checked against them)."""

    def add(self, issue: DataIssue) -> None:
        self.total += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def raise_if_bad(self) -> None:
        if self.total:
            raise DataError(self.issues, self.total)


def _shown(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_SHOWN_VALUE:
        return value or None
    return f"{value[:MAX_SHOWN_VALUE]}… ({len(value):,} characters)"


def _records(text: str, table: Table) -> tuple[list[list[str]], list[int]]:
    """The CSV records (blank lines skipped) and the line each starts on; a CSV error ends the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error:
        return _records_slowly(text, table)
    if reader.line_num != len(rows):  # a quoted cell spans lines: count them record by record
        return _records_slowly(text, table)
    if [] not in rows:
        return rows, list(range(1, len(rows) + 1))
    kept = [(n, row) for n, row in enumerate(rows, start=1) if row]
    return [row for _, row in kept], [n for n, _ in kept]


def _account_records(text: str, table: Table, account_id: str) -> tuple[list[list[str]], list[int]]:
    """`_records` of the header and the lines that contain `account_id`, numbered as in the file, when
    each line is a whole record: no bare carriage return, and no quoted cell across lines (every line
    holds an even number of quotes). One account's answer then parses a handful of lines, not the
    file (`score` on a 10,000-account book: its five record files 0.36 -> 0.14 s). Otherwise, or if
    those lines do not parse, the file."""
    if text.count("\r") == text.count("\r\n"):
        lines = text.split("\n")
        whole = '"' not in text or not any(line.count('"') % 2 for line in lines)
        header = next((n for n, line in enumerate(lines) if line.rstrip("\r")), None) if whole else None
        if header is not None:
            kept = [header, *(n for n in range(header + 1, len(lines)) if account_id in lines[n])]
            trial = Table(file=table.file)
            rows, numbers = _records("\n".join(lines[n] for n in kept), trial)
            if not trial.total:
                return rows, [kept[n - 1] + 1 for n in numbers]
    return _records(text, table)


def _records_slowly(text: str, table: Table) -> tuple[list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = f"a cell is longer than {csv.field_size_limit():,} characters"
            table.add(DataIssue(file=table.file, line=last + 1, message=f"not readable as CSV: {reason}"))
            break
        start, last = last + 1, reader.line_num
        if row:
            rows.append(row)
            lines.append(start)
    return rows, lines


def load_table(
    path: Path,
    model: type[M],
    known_accounts: set[str] | None = None,
    *,
    require_rows: bool = False,
    account_id: str | None = None,
) -> Table:
    """Every row of `path` as `model`, plus every problem found (never raises for bad data).

    With `known_accounts`, a row whose account_id is not among them is a problem too: dropping it
    silently would lose evidence. With `account_id`, only that account's rows are checked and kept:
    other accounts' rows are not its evidence (a ragged line naming the account is still reported).
    """
    table = Table(file=path.name)
    try:
        text = read_text(path, table.file)
    except DataError as exc:
        for issue in exc.issues:
            table.add(issue)
        return table
    rows, lines = _records(text, table) if account_id is None else _account_records(text, table, account_id)
    if not rows:
        if not table.total:
            table.add(DataIssue(file=table.file, line=1, message="empty file: the first line must name the columns"))
        return table
    header = [h.strip() for h in rows[0]]
    if not _header_ok(header, model, table):
        return table
    body, lines = rows[1:], lines[1:]
    if require_rows and not body and not table.total:
        table.add(DataIssue(file=table.file, line=2, message=f"{table.file} has no rows (only a header)"))
        return table
    body, lines = _whole_rows(body, lines, len(header), table)
    if account_id is not None and "account_id" in header:
        column = header.index("account_id")
        mine = [n for n, row in enumerate(body) if row[column].strip() == account_id]
        body, lines = [body[n] for n in mine], [lines[n] for n in mine]
    names, columns, bad = _parse_columns(model, header, body, lines, table)
    if "account_id" in names:
        table.ids = set(columns[names.index("account_id")]) - {None}  # a blank required id is None
    _build(model, names, columns, bad, lines, table, known_accounts)
    order = {name: n for n, name in enumerate(model.model_fields)}
    table.issues.sort(key=lambda i: (i.line or 0, order.get(i.column or "", -1)))
    return table


def _header_ok(header: list[str], model: type[BaseModel], table: Table) -> bool:
    seen: dict[str, int] = {}
    ok = True
    for position, name in enumerate(header, start=1):
        if name and name in seen:
            message = f"column {name!r} appears twice in the header (columns {seen[name]} and {position}); keep one"
            table.add(DataIssue(file=table.file, line=1, column=name, message=message))
            ok = False
        seen.setdefault(name, position)
    missing = [c for c in required_columns(model) if c not in seen]
    if missing:
        message = f"missing required column(s): {', '.join(missing)}"
        table.add(DataIssue(file=table.file, line=1, message=message))
        ok = False
    return ok


def _whole_rows(body: list[list[str]], lines: list[int], width: int, table: Table) -> tuple[list[list[str]], list[int]]:
    """Rows with as many cells as the header (extra blank cells are tolerated). A ragged row is
    reported and left out: its values cannot be trusted to sit under the right column."""
    if set(map(len, body)) <= {width}:
        return body, lines
    kept_rows, kept_lines = [], []
    for line, row in zip(lines, body, strict=True):
        if len(row) == width or (len(row) > width and not any(c.strip() for c in row[width:])):
            kept_rows.append(row[:width])
            kept_lines.append(line)
        else:
            message = f"has {len(row)} cell(s) but the header has {width}; check for a missing or extra comma"
            table.add(DataIssue(file=table.file, line=line, message=message))
    return kept_rows, kept_lines


def _parse_columns(
    model: type[BaseModel], header: list[str], body: list[list[str]], lines: list[int], table: Table
) -> tuple[list[str], list[list[Any]], set[int]]:
    """Column by column, by each field's converter: in bulk (`Converter.at_once`), else cell by cell
    to name every bad cell (blank = the field's default). The indices of rows holding one are returned."""
    bad: set[int] = set()
    names: list[str] = []
    columns: list[list[Any]] = []
    for name, converter in converters(model).items():
        parse = converter.parse
        info = model.model_fields[name]
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        names.append(name)
        if name not in header:
            columns.append([default] * len(body))
            continue
        texts = list(map(str.strip, map(itemgetter(header.index(name)), body)))
        repeated = len(set(texts[:SAMPLE_ROWS])) * 2 <= min(len(texts), SAMPLE_ROWS)
        refused: set[str] = set()
        if parse is str:  # a blank cell is "" already: only another default needs a pass
            if repeated:
                texts = list(map(sys.intern, texts))  # a repeated value (an id, a name) kept once, not per row
            values: list[Any] = [t or default for t in texts] if default != "" and "" in texts else texts
        elif converter.at_once is not None:
            try:
                values = _parsed_at_once(converter.at_once, texts, repeated, default)
            except (ValueError, TypeError, OverflowError):
                parsed = {t: _memo(parse, t) if t else default for t in set(texts)}
                values = list(map(parsed.__getitem__, texts))
                refused = {t for t, v in parsed.items() if isinstance(v, CellError)}
        else:
            values = [parse(t) if t else default for t in texts]
        columns.append(values)
        if refused or (required and "" in texts):
            for n, text in enumerate(texts):
                if text in refused or (required and not text):
                    message = str(values[n]) if text else "is empty"
                    shown = _shown(text) if text else None
                    table.add(DataIssue(file=table.file, line=lines[n], column=name, value=shown, message=message))
                    bad.add(n)
    return names, columns, bad


SAMPLE_ROWS = 1000
"""Rows a column's first values are sampled from to decide whether its repeated values are shared."""


def _parsed_at_once(at_once: ParseAll, texts: list[str], repeated: bool, default: Any) -> list[Any]:
    """A column parsed in bulk, blank cells given the default: each distinct cell once when cells
    repeat, else every cell in one call (a dictionary of 800,000 distinct timestamps costs more than
    parsing them). Raises as `at_once` does for a bad cell."""
    if not repeated and "" not in texts:
        return at_once(texts)
    distinct = set(texts)
    distinct.discard("")
    cells = list(distinct)
    parsed = dict(zip(cells, at_once(cells), strict=True))
    parsed[""] = default
    return list(map(parsed.__getitem__, texts))


def _memo(parse: Parse, text: str) -> Any:
    try:
        return parse(text)
    except CellError as exc:
        return exc


def _constructed(model: type[M], rows: Iterable[dict[str, Any]], fields_set: set[str]) -> list[M]:
    """Records from values already parsed and checked column by column (what model_construct does,
    without its per-field default handling: every field is present), in one loop with its lookups
    bound once (a fifth faster than a call per record). Records are frozen, so one fields-set object
    serves them all."""
    new, set_ = model.__new__, object.__setattr__
    records: list[M] = []
    append = records.append
    for values in rows:
        record = new(model)
        set_(record, "__dict__", values)
        set_(record, "__pydantic_fields_set__", fields_set)
        set_(record, "__pydantic_extra__", None)
        set_(record, "__pydantic_private__", None)
        append(record)
    return records


def _build(
    model: type[M],
    names: list[str],
    columns: list[list[Any]],
    bad: set[int],
    lines: list[int],
    table: Table,
    known: set[str] | None,
) -> None:
    """Records from the typed columns. A model with cross-field rules (renewal after contract start)
    is validated row by row so those rules hold here exactly as for every other connector."""
    if known is not None and "account_id" in names:
        ids = columns[names.index("account_id")]
        if not set(ids) <= known:
            for n, account_id in enumerate(ids):
                if account_id not in known and n not in bad:
                    message = "account not in accounts.csv"
                    table.add(DataIssue(file=table.file, line=lines[n], column="account_id", value=account_id,
                                        message=message))  # fmt: skip
                    bad.add(n)
    rows = list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))
    kept = list(range(len(rows))) if not bad else [n for n in range(len(rows)) if n not in bad]
    fields_set = set(model.model_fields)  # records are frozen: one fields set serves them all
    if not validated_per_row(model):
        table.records = _constructed(model, map(rows.__getitem__, kept) if bad else rows, fields_set)
        table.lines = [lines[n] for n in kept] if bad else list(lines)
        if after_rules(model):
            _check_after_rules(model, table)
        return
    for n in kept:
        try:
            record = model.model_validate(rows[n])
            if record.__pydantic_fields_set__ == fields_set:  # its own copy is 2 KB an account
                object.__setattr__(record, "__pydantic_fields_set__", fields_set)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                raw = rows[n].get(column) if column else None
                message = "is empty" if err["type"] == "missing" else str(err["msg"]).removeprefix("Value error, ")
                shown = None if raw is None else _shown(str(raw))
                table.add(DataIssue(file=table.file, line=lines[n], column=column, value=shown, message=message))
            continue
        table.records.append(record)
        table.lines.append(lines[n])


def _check_after_rules(model: type[BaseModel], table: Table) -> None:
    """Each record through the model's cross-field rules; one that breaks a rule is reported on its
    line, with pydantic's wording, and left out."""
    rules = after_rules(model)
    records, lines = [], []
    for record, line in zip(table.records, table.lines, strict=True):
        try:
            for rule in rules:
                rule(record)
        except ValueError as exc:
            table.add(DataIssue(file=table.file, line=line, message=str(exc)))
            continue
        records.append(record)
        lines.append(line)
    table.records, table.lines = records, lines


def read_table(path: Path, model: type[M], known_accounts: set[str] | None = None) -> list[M]:
    """All rows of `path` as `model`; raises DataError listing every bad cell (up to MAX_ISSUES)."""
    table = load_table(path, model, known_accounts)
    table.raise_if_bad()
    return table.records


def group_by_account(records: list[M]) -> dict[str, list[M]]:
    grouped: dict[str, list[M]] = {}
    for record in records:
        grouped.setdefault(str(getattr(record, "account_id")), []).append(record)  # noqa: B009 (generic M)
    return grouped
