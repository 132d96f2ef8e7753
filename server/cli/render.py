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
    """CSV cells, UTF-8, without a line end, quoted as they would be inside a longer record (a lone
    empty cell alone on a line would be written `""`)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="").writerow([*cells, ""])
    return text.getvalue()[:-1].encode()


def _rank_runs(columns: Sequence[str]) -> list[list[str]]:
    """The columns split at each rank column: the runs of cells an account's record is encoded in."""
    runs: list[list[str]] = [[]]
    for column in columns:
        if column == "rank":
            runs.append([])
        else:
            runs[-1].append(column)
    return runs


def csv_text(columns: Sequence[str]) -> Callable[[AccountAssessment], bytes]:
    """One account's CSV record for `write_csv`, encoded before the book's order (so before its rank)
    is known: the runs of cells between rank columns, framed as `<bytes of each run, comma-separated>:<runs>`."""
    runs = [[RANK_COLUMNS[c].value for c in run] for run in _rank_runs(columns)]

    def encode(a: AccountAssessment) -> bytes:
        texts = [_csv_line([value(0, a) for value in run]) if run else b"" for run in runs]
        return b",".join(b"%d" % len(text) for text in texts) + b":" + b"".join(texts)

    return encode


def write_csv(stream: IO[bytes], items: Iterable[bytes], columns: Sequence[str] = CSV_COLUMNS) -> None:
    """The header, then each record from `csv_text` in rank order, its rank put in every rank column."""
    stream.write(_csv_line(columns) + b"\n")
    filled = [bool(run) for run in _rank_runs(columns)]
    for n, item in enumerate(items, start=1):
        sizes, texts = item.split(b":", 1)
        parts, at = [], 0
        for k, size in enumerate(map(int, sizes.split(b","))):
            parts += [str(n).encode()] if k else []
            parts += [texts[at : at + size]] if filled[k] else []
            at += size
        line = b",".join(parts)
        stream.write((line or b'""') + b"\n")  # one empty cell alone is written "", not as a blank line


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
