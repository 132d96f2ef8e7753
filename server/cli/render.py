"""Human-readable terminal output (rich) for the CLI; machine output is the models' JSON."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from skills.assessment import AccountAssessment
from skills.evidence import money, pct

TIER_STYLE = {"priority": "bold green", "ready": "green", "candidate": "yellow", "not_yet": "dim"}


def rank_table(rows: Sequence[AccountAssessment], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column, justify in (
        ("#", "right"),
        ("Account", "left"),
        ("Segment", "left"),
        ("CSM", "left"),
        ("Score", "right"),
        ("Tier", "left"),
        ("Offer", "left"),
        ("Proposed", "right"),
        ("Latest trigger", "left"),
        ("Blockers", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for n, a in enumerate(rows, start=1):
        trigger = a.latest_trigger
        gate = "" if a.gate.passed else "gate failed"
        blockers = ", ".join(filter(None, [gate, *(b.id for b in a.blockers)])) or "—"
        table.add_row(
            str(n),
            f"{a.name} [dim]{a.account_id}[/dim]",
            a.segment,
            a.csm_owner,
            str(a.score),
            f"[{TIER_STYLE[a.tier]}]{a.tier}[/]",
            a.expansion_type,
            money(a.proposed_expansion_value, a.currency),
            f"{trigger.id} ({trigger.date})" if trigger else "—",
            blockers,
        )
    return table


def print_assessment(console: Console, a: AccountAssessment) -> None:
    console.print(f"[bold]{a.name}[/bold] ({a.account_id}) · {a.segment} · CSM {a.csm_owner} · as of {a.as_of}")
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
        signals.add_row(f"{mark} {s.id}", f"{s.points}/{s.weight}", f"{s.source.citation} {s.evidence}")
    console.print(signals)
    console.print(f"Offer: [bold]{a.expansion_type}[/bold] — {a.expansion_reason.cited}")
    if a.unevaluated_types:
        console.print(f"[yellow]Not evaluated (usage missing):[/yellow] {', '.join(a.unevaluated_types)}")
    console.print(
        f"Proposed: {money(a.proposed_expansion_value, a.currency)} ({a.pricing.basis}); "
        f"ARR {money(a.current_arr, a.currency)} → {money(a.total_proposed_arr, a.currency)}"
    )
    console.print(
        "Gate: " + ("[green]passed[/green]" if a.gate.passed else "[red]failed[/red] — " + "; ".join(a.gate.reasons))
    )
    for b in a.blockers:
        console.print(f"[red]Blocker[/red] {b.id}: {b.source.citation} {b.detail}")
    for t in a.triggers:
        console.print(f"Trigger {t.id} ({t.date or 'undated'}): {t.source.citation} {t.detail}")
    for m in a.missing_evidence:
        console.print(f"[yellow]Missing evidence[/yellow] {m.kind.value}: {m.reason}")
