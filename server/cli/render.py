"""Output of the CLI: rich tables on the terminal, and the rank list as JSON, JSON lines or CSV,
written one account at a time as the desk produces them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skills.assessment import AccountAssessment
from skills.evidence import money, pct

TIER_STYLE = {"priority": "bold green", "ready": "green", "candidate": "yellow", "not_yet": "dim"}


def _trigger(a: AccountAssessment) -> str:
    t = a.latest_trigger
    return f"{t.id} ({t.date})" if t and t.date else t.id if t else "—"


def _blockers(a: AccountAssessment) -> str:
    gate = "" if a.gate.passed else "gate failed"
    return ", ".join(filter(None, [gate, *(b.id for b in a.blockers)])) or "—"


@dataclass(frozen=True)
class Column:
    """One rank column: its table header and cell, and its CSV value (plain, unformatted)."""

    header: str
    justify: str
    cell: Callable[[int, AccountAssessment], str]
    value: Callable[[int, AccountAssessment], Any]
    style: Callable[[AccountAssessment], str] | None = None


RANK_COLUMNS: dict[str, Column] = {
    "rank": Column("#", "right", lambda n, a: str(n), lambda n, a: n),
    "account_id": Column("Account", "left", lambda n, a: a.account_id, lambda n, a: a.account_id),
    "name": Column("Name", "left", lambda n, a: a.name, lambda n, a: a.name),
    "segment": Column("Segment", "left", lambda n, a: a.segment, lambda n, a: a.segment),
    "csm_owner": Column("CSM", "left", lambda n, a: a.csm_owner, lambda n, a: a.csm_owner),
    "score": Column("Score", "right", lambda n, a: str(a.score), lambda n, a: a.score),
    "tier": Column("Tier", "left", lambda n, a: a.tier, lambda n, a: a.tier, lambda a: TIER_STYLE[a.tier]),
    "expansion_type": Column("Offer", "left", lambda n, a: a.expansion_type, lambda n, a: a.expansion_type),
    "proposed_expansion_value": Column(
        "Proposed",
        "right",
        lambda n, a: money(a.proposed_expansion_value, a.currency),
        lambda n, a: a.proposed_expansion_value,
    ),
    "value_case": Column("Value case", "left", lambda n, a: a.value_case, lambda n, a: a.value_case),
    "currency": Column("Currency", "left", lambda n, a: a.currency, lambda n, a: a.currency),
    "total_proposed_arr": Column(
        "Total ARR", "right", lambda n, a: money(a.total_proposed_arr, a.currency), lambda n, a: a.total_proposed_arr
    ),
    "gate_passed": Column(
        "Gate", "left", lambda n, a: "passed" if a.gate.passed else "failed", lambda n, a: a.gate.passed
    ),
    "latest_trigger": Column("Latest trigger", "left", lambda n, a: _trigger(a), lambda n, a: _trigger(a).strip("—")),
    "blockers": Column("Blockers", "left", lambda n, a: _blockers(a), lambda n, a: _blockers(a).strip("—")),
}
TABLE_COLUMNS = (
    "rank",
    "account_id",
    "name",
    "segment",
    "csm_owner",
    "score",
    "tier",
    "expansion_type",
    "proposed_expansion_value",
    "value_case",
    "latest_trigger",
    "blockers",
)
CSV_COLUMNS = (
    "rank",
    "account_id",
    "name",
    "segment",
    "csm_owner",
    "score",
    "tier",
    "expansion_type",
    "proposed_expansion_value",
    "currency",
    "total_proposed_arr",
    "value_case",
    "gate_passed",
    "latest_trigger",
    "blockers",
)
DROP_ORDER = (
    "latest_trigger",
    "value_case",
    "segment",
    "name",
    "csm_owner",
    "blockers",
    "expansion_type",
    "tier",
    "total_proposed_arr",
)
"""Columns a narrow terminal loses first to last; rank, account id, score and money are never dropped or cut."""
KEEP = frozenset(RANK_COLUMNS) - frozenset(DROP_ORDER)


def parse_columns(text: str | None, default: Sequence[str], choices: Iterable[str] = RANK_COLUMNS) -> tuple[str, ...]:
    """`a,b,c` → the named columns; ValueError naming the unknown ones and the choices."""
    if not text:
        return tuple(default)
    allowed = list(choices)
    names = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in names if c not in allowed]
    if unknown or not names:
        raise ValueError(f"unknown column(s): {', '.join(unknown) or '(none given)'}; choose from {', '.join(allowed)}")
    return names


def fit_columns(rows: Sequence[tuple[int, AccountAssessment]], columns: Sequence[str], width: int) -> list[str]:
    """The columns that fit `width` at their full content width, dropping in DROP_ORDER."""
    widths = {
        c: max([len(RANK_COLUMNS[c].header), *(len(RANK_COLUMNS[c].cell(n, a)) for n, a in rows)]) for c in columns
    }
    shown = list(columns)
    for victim in DROP_ORDER:
        if sum(widths[c] for c in shown) + 3 * len(shown) + 1 <= width:
            break
        if victim in shown:
            shown.remove(victim)
    return shown


def rank_table(
    rows: Sequence[AccountAssessment], title: str, columns: Sequence[str] = TABLE_COLUMNS, width: int = 160
) -> Table:
    numbered = list(enumerate(rows, start=1))
    shown = fit_columns(numbered, columns, width)
    table = Table(title=title, show_lines=False)
    for name in shown:
        column = RANK_COLUMNS[name]
        keep_whole = name in KEEP
        table.add_column(column.header, justify=column.justify, no_wrap=keep_whole, overflow="fold")  # type: ignore[arg-type]
    for n, a in numbered:
        cells = []
        for name in shown:
            column = RANK_COLUMNS[name]
            text = column.cell(n, a).replace("[", "\\[")
            cells.append(f"[{column.style(a)}]{text}[/]" if column.style else text)
        table.add_row(*cells)
    return table


def json_text(columns: Sequence[str] | None, indent: int | None) -> Callable[[AccountAssessment], bytes]:
    """One account as UTF-8 JSON (pydantic's encoder), only `columns` when given; indented as an item
    of a `json.dumps(indent=2)` list when `indent`."""
    include = set(columns) if columns else None
    to_json = AccountAssessment.__pydantic_serializer__.to_json
    if indent is None:
        return lambda a: to_json(a, include=include)
    return lambda a: to_json(a, indent=indent, include=include).replace(b"\n", b"\n  ")


def write_json(stream: IO[bytes], items: Iterable[bytes]) -> None:
    """A JSON list of items already encoded by `json_text(..., indent=2)`, written as they come."""
    first = True
    for item in items:
        stream.write(b"[\n  " if first else b",\n  ")
        stream.write(item)
        first = False
    stream.write(b"[]\n" if first else b"\n]\n")


def write_jsonl(stream: IO[bytes], items: Iterable[bytes]) -> None:
    for item in items:
        stream.write(item + b"\n")


def _csv_line(cells: Sequence[Any]) -> bytes:
    """One CSV record, UTF-8, without its line end; no cells: nothing."""
    if not cells:
        return b""
    text = io.StringIO()
    csv.writer(text, lineterminator="").writerow(cells)
    return text.getvalue().encode()


def csv_text(columns: Sequence[str]) -> Callable[[AccountAssessment], bytes]:
    """One account's CSV record for `write_csv`, encoded before the book's order (so before its rank)
    is known: the cells before the rank column and those after, as `<bytes of the first>:<first><second>`."""
    cut = columns.index("rank") if "rank" in columns else len(columns)
    before, after = [RANK_COLUMNS[c].value for c in columns[:cut]], [RANK_COLUMNS[c].value for c in columns[cut + 1 :]]

    def encode(a: AccountAssessment) -> bytes:
        head = _csv_line([value(0, a) for value in before])
        return b"%d:%b%b" % (len(head), head, _csv_line([value(0, a) for value in after]))

    return encode


def write_csv(stream: IO[bytes], items: Iterable[bytes], columns: Sequence[str] = CSV_COLUMNS) -> None:
    """The header, then each record from `csv_text` in rank order, its rank put in place."""
    stream.write(_csv_line(columns) + b"\n")
    for n, item in enumerate(items, start=1):
        size, rest = item.split(b":", 1)
        head, tail = rest[: int(size)], rest[int(size) :]
        rank = [str(n).encode()] if "rank" in columns else []
        stream.write(b",".join(part for part in (head, *rank, tail) if part) + b"\n")


def print_assessment(console: Console, a: AccountAssessment) -> None:
    """The assessment for a person; every text from the data is escaped (an account name may hold "[")."""
    console.print(
        f"[bold]{escape(a.name)}[/bold] ({escape(a.account_id)}) · {a.segment} · CSM {escape(a.csm_owner)} · as of {a.as_of}"
    )
    util = pct(a.utilisation) if a.utilisation is not None else "unknown"
    console.print(
        f"Score [bold]{a.score}[/bold] → [{TIER_STYLE[a.tier]}]{a.tier}[/] · utilisation {util} · "
        f"active users (30d) {a.active_users_30d if a.active_users_30d is not None else 'unknown'}"
    )
    signals = Table(title="Readiness signals", show_header=True)
    for col in ("Signal", "Points", "Evidence"):
        signals.add_column(col)
    for s in a.signals:
        mark = "✓" if s.met else "?" if s.met is None else "·"
        dated = f" [dim](data {s.as_of_data})[/dim]" if s.as_of_data else ""
        stale = " [yellow]stale[/yellow]" if s.stale else ""
        signals.add_row(
            f"{mark} {s.id}", f"{s.points}/{s.weight}", f"{s.source.citation} {escape(s.evidence)}{dated}{stale}"
        )
    console.print(signals)
    console.print(f"Next tier: {escape(a.next_tier.summary)}")
    console.print(f"Offer: [bold]{a.expansion_type}[/bold] — {escape(a.expansion_reason.cited)}")
    if a.unevaluated_types:
        console.print(f"[yellow]Not evaluated (usage missing):[/yellow] {', '.join(a.unevaluated_types)}")
    console.print(
        f"Proposed: {money(a.proposed_expansion_value, a.currency)} ({escape(a.pricing.basis)}); "
        f"ARR {money(a.current_arr, a.currency)} → {money(a.total_proposed_arr, a.currency)}"
    )
    console.print(f"Value case: {a.value_case} — {escape(a.roi.value_case_reason)}")
    gate = "[green]passed[/green]" if a.gate.passed else "[red]failed[/red] — " + escape("; ".join(a.gate.reasons))
    console.print("Gate: " + gate)
    for fix in a.gate_fixes:
        console.print(f"[red]Fix[/red] {fix.check}: {fix.source.citation} {escape(fix.action)}")
    for b in a.blockers:
        console.print(f"[red]Blocker[/red] {b.id}: {b.source.citation} {escape(b.detail)}")
    for t in a.triggers:
        console.print(f"Trigger {t.id} ({t.date or 'undated'}): {t.source.citation} {escape(t.detail)}")
    for m in a.missing_evidence:
        console.print(f"[yellow]Missing evidence[/yellow] {m.kind.value}: {escape(m.reason)}")
