"""Mutated workspaces for the property test and its corpus (issue 15): a small valid workspace, then
mutations of the kinds a careless or hostile user produces — bad numbers, bad bytes, bad structure,
missing or doubled files — and the CLI run over it. A mutation is plain JSON so a shrunk failure can
be kept under tests/corpus/ and replayed."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from connectors.workspace import RECORD_FILES
from server.cli import main
from tests.factory import AS_OF, account, champion, event, interaction, outcome, ticket, write_workspace

CSV_FILES = ("accounts.csv", "usage_events.csv", *RECORD_FILES)
JSON_FILES = ("catalog.json", "manifest.json")
NASTY = (
    "inf", "-inf", "nan", "NaN", "Infinity", "1e309", "1e23", "-5", "", " ", "0", "12.5", "0001-01-01",
    "9999-12-31", "2024-02-30", "yesterday", "2026-11-10T01:30:00+02:00", "2026-11-10T01:30:00Z",
    "ACC-404", " ACC-1 ", "acc-1", "../../x/pwned", "[red]markup[/red]", "[/x]", '"', '"unterminated',
    "a,b", "line\nbreak", "\u00e9t\u00e9", "x" * 140_000, "P9", "huge", "champion", "-0",
)  # fmt: skip
AS_OF_CHOICES = (None, AS_OF.isoformat(), "0001-01-01", "9999-12-31", "1900-01-01", "2026-02-30", "today")


def base_workspace(root: Path) -> Path:
    accounts = [account(), account(account_id="ACC-2", name="Beta Corp"), account(account_id="ACC-3", name="Gamma")]
    events = [event(d, f"u{d % 4}", account_id=f"ACC-{1 + d % 3}") for d in range(0, 60, 3)]
    records = {
        "contacts.csv": [champion()],
        "tickets.csv": [ticket()],
        "interactions.csv": [interaction(3, "asked about dashboards"), interaction(10, "nps", nps=9)],
        "outcomes.csv": [outcome(20)],
    }
    return write_workspace(root, accounts, events, records)


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    output: str
    exception: BaseException | None


def apply(root: Path, mutation: dict[str, Any]) -> None:
    """One mutation (see `KINDS`) on the workspace folder `root`."""
    kind, file = mutation["kind"], root / mutation.get("file", "accounts.csv")
    if kind == "cell" and file.is_file():
        lines = file.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
        row = 1 + mutation["row"] % max(1, len([x for x in lines[1:] if x]))
        if row < len(lines) and lines[row]:
            cells = lines[row].split(",")
            cells[mutation["column"] % len(cells)] = _csv_cell(mutation["value"])
            lines[row] = ",".join(cells)
            file.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    elif kind == "duplicate_column" and file.is_file():
        lines = file.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
        column = mutation["column"] % len(lines[0].split(","))
        lines = [
            f"{x},{x.split(',')[column] if n else lines[0].split(',')[column]}" if x and column < len(x.split(","))
            else x for n, x in enumerate(lines)
        ]  # fmt: skip
        file.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    elif kind == "ragged" and file.is_file():
        lines = file.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
        row = 1 + mutation["row"] % max(1, len(lines) - 2)
        if row < len(lines) and lines[row]:
            lines[row] = lines[row].rsplit(",", 1)[0] if mutation["value"] == "short" else lines[row] + ",extra"
            file.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    elif kind == "header_only" and file.is_file():
        file.write_text(
            file.read_text(encoding="utf-8", errors="surrogateescape").split("\n")[0] + "\n",
            encoding="utf-8",
            errors="surrogateescape",
        )
    elif kind == "empty":
        file.write_bytes(b"")
    elif kind == "delete" and file.is_file() and file.name != "accounts.csv":
        file.unlink()
    elif kind == "bom" and file.is_file():
        file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    elif kind == "latin1" and file.is_file():
        data = file.read_bytes()
        cut = max(1, len(data) * (mutation["row"] % 10) // 10)
        file.write_bytes(data[:cut] + b"\xe9" + data[cut:])
    elif kind == "garbage":
        file.write_bytes(mutation["value"].encode("utf-8", "surrogatepass"))
    elif kind == "json_value" and file.suffix == ".json" and file.is_file():
        try:
            data = json.loads(file.read_text(encoding="utf-8", errors="surrogateescape"))
        except ValueError:
            return
        if isinstance(data, dict) and data:
            key = sorted(data)[mutation["column"] % len(data)]
            data[key] = _json_value(mutation["value"])
            file.write_text(json.dumps(data), encoding="utf-8")
    elif kind == "rename_account":
        for name in CSV_FILES:
            path = root / name
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="surrogateescape")
                path.write_text(
                    text.replace("ACC-1,", _csv_cell(mutation["value"]) + ","),
                    encoding="utf-8",
                    errors="surrogateescape",
                )
    elif kind == "both_usage_files":
        (root / "usage_events.parquet").write_bytes(b"PAR1 not parquet PAR1" if mutation["value"] else b"")


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',\n"') else value


def _json_value(value: str) -> Any:
    for parse in (int, float):
        try:
            return parse(value)
        except ValueError:
            pass
    return value


def run_cli(root: Path, out: Path, as_of: str | None, command: str) -> Outcome:
    """`rank`, `score` or `propose` over the workspace, as a user runs it (strings in, exit code out)."""
    accounts = root / "accounts.csv"
    first = "ACC-1"
    if accounts.is_file():
        text = accounts.read_bytes().decode("utf-8", "replace").lstrip("\ufeff")
        try:
            rows = [r for r in csv.reader(io.StringIO(text)) if r]
        except csv.Error:
            rows = []
        first = rows[1][0] if len(rows) > 1 and rows[1] else "ACC-1"
    args = {
        "rank": ["rank", "--json"],
        "score": ["score", "--json"],
        "propose": ["propose", "--json", "--no-save", "--out", str(out)],
    }[command] + ["--workspace", str(root)]
    if as_of is not None:
        args += ["--as-of", as_of]
    if command != "rank":
        args += ["--", first]  # an id may start with "-": it is an argument, never an option
    result = CliRunner().invoke(main, args, env={"EXPANSION_DESK_STORE_PATH": str(out.parent / "store.sqlite3")})
    return Outcome(result.exit_code, result.stdout, result.output, result.exception)


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"non-strict JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def files_under(path: Path) -> set[Path]:
    return {Path(dirpath) / f for dirpath, _, files in os.walk(path) for f in files}


NAMED = ("accounts.csv", "usage_events", "contacts.csv", "deals.csv", "tickets.csv", "interactions.csv",
         "outcomes.csv", "catalog.json", "manifest.json", "workspace", "as_of", "unknown account")  # fmt: skip


def check_case(tmp: Path, mutations: list[dict[str, Any]], as_of: str | None, command: str) -> str:
    """The property: exit 0 with strict JSON, or exit 2 naming a file (or the as_of asked) — never a
    traceback, never exit 1 — and no file written outside the workspace and --out. Returns the outcome
    kind ("ok" or "refused") for statistics."""
    root = base_workspace(tmp / "ws")
    for mutation in mutations:
        apply(root, mutation)
    out = tmp / "out"
    before = files_under(tmp.parent) if tmp.parent != tmp else set()
    result = run_cli(root, out, as_of, command)
    after = files_under(tmp.parent) if tmp.parent != tmp else set()
    stray = {p for p in after - before if not p.is_relative_to(out) and not p.is_relative_to(root)}
    stray -= {tmp / "store.sqlite3"}
    assert not stray, f"wrote outside --out: {sorted(map(str, stray))}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code in (0, 2), f"exit {result.exit_code}: {result.output[-500:]}"
    if result.exit_code == 0:
        strict_json(result.stdout)
        return "ok"
    message = result.output
    assert "error:" in message and any(name in message for name in NAMED), f"unclear refusal: {message[-500:]}"
    return "refused"


KINDS = ("cell", "duplicate_column", "ragged", "header_only", "empty", "delete", "bom", "latin1", "garbage",
         "json_value", "both_usage_files", "rename_account")  # fmt: skip
