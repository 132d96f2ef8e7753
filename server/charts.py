"""The desk's charts, drawn with matplotlib's SVG backend: offline, no CDN, the same SVG in the web pages,
the MCP App and exported documents.

Every chart has axis labels with units and names the account's currency. Text and axes are drawn in
`currentColor`, so a chart follows the light or dark theme of the page that embeds it; the data colours
read on both. Labels are data (account names, ids): matplotlib escapes them in the SVG, and maths
parsing is off so a `$` in a name stays a dollar sign.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from skills.backtest.report import BacktestReport
from skills.playbook.calendar import CalendarPhase
from skills.playbook.readiness_score import Signal
from skills.playbook.timing import Trigger
from skills.snapshot import CapacityPoint

INK = "#010203"  # drawn as currentColor in the page: follows the theme
EARNED = "#2f7de1"
POSSIBLE = "#9aa7b4"
SEATS = "#d9822b"
THRESHOLD = "#c23b3b"
PHASE = "#3aa57a"
WIDTH_IN = 7.2
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: small, selectable, searchable
    "svg.hashsalt": "expansion-desk",  # stable ids: the same data gives the same SVG
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.size": 9,
    "text.color": INK,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
_SVG_START = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')
_lock = threading.Lock()  # matplotlib's text layout caches are not thread-safe


EPOCH = date(1970, 1, 1)


def _day(value: date) -> float:
    """Dates are plotted as day numbers and labelled back as ISO dates."""
    return float((value - EPOCH).days)


DATE_AXIS = FuncFormatter(lambda v, _: (EPOCH + timedelta(days=round(v))).isoformat())


def money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _svg(fig: Figure, title: str) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(fig)
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    svg = _SVG_START.sub("", buffer.getvalue(), count=1)
    svg = _SIZE.sub(r'<svg\1 role="img" class="chart"', svg, count=1)
    svg = svg.replace(INK, "currentColor")
    return svg.replace("<svg", f'<svg aria-label="{_attr(title)}"', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _figure(height_in: float, left_in: float, bottom_in: float) -> Figure:
    """Fixed margins in inches (a layout engine would redraw the figure several times to find them)."""
    fig = Figure(figsize=(WIDTH_IN, height_in))
    fig.subplots_adjust(
        left=left_in / WIDTH_IN, right=1 - 0.3 / WIDTH_IN, top=1 - 0.35 / height_in, bottom=bottom_in / height_in
    )
    return fig


def _date_axis(fig: Figure, ax: Any) -> None:
    ax.xaxis.set_major_formatter(DATE_AXIS)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    fig.legend(loc="lower center", ncols=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))


def signals_chart(signals: Sequence[Signal], score: int, currency: str, arr: float) -> str:
    """Points earned against points possible for each of the readiness signals."""
    title = f"Readiness score {score} of {sum(s.weight for s in signals)} points"
    with _lock, rc_context(_STYLE):
        fig = _figure(0.85 + 0.28 * len(signals), 1.7, 0.45)
        ax = fig.add_subplot()
        names = [s.id.replace("_", " ") for s in signals][::-1]
        possible = [s.weight for s in signals][::-1]
        earned = [s.points for s in signals][::-1]
        ax.barh(names, possible, color=POSSIBLE, alpha=0.35, label="possible")
        ax.barh(names, earned, color=EARNED, height=0.5, label="earned")
        for y, (e, p, s) in enumerate(zip(earned, possible, signals[::-1], strict=True)):
            mark = "unknown" if s.met is None else f"{e}/{p}"
            ax.text(p + 0.2, y, mark, va="center", fontsize=8)
        ax.set_xlabel("points (earned of possible)")
        ax.set_xlim(0, max(possible, default=1) + 2.5)
        ax.set_title(f"{title} · ARR {money(arr, currency)}", loc="left", fontsize=10)
        ax.legend(loc="lower right", ncols=2)
        return _svg(fig, title)


def usage_chart(
    points: Sequence[CapacityPoint], seats: int, currency: str, price_per_seat: float, capacity: float
) -> str:
    """Weekly 30-day active users against licensed seats, with the capacity threshold."""
    title = "Active users (30 days) against licensed seats, weekly"
    with _lock, rc_context(_STYLE):
        fig = _figure(2.85, 0.6, 0.8)
        ax = fig.add_subplot()
        ordered = sorted(points, key=lambda p: p.day)
        days = [_day(p.day) for p in ordered]
        ax.plot(days, [p.active_users_30d for p in ordered], color=EARNED, marker="o", ms=3, label="active users (30d)")
        if days:
            ax.hlines(seats, days[0], days[-1], colors=SEATS, label=f"licensed seats ({seats})")
            ax.hlines(
                seats * capacity,
                days[0],
                days[-1],
                colors=THRESHOLD,
                linestyles="dashed",
                label=f"{capacity:.0%} of seats",
            )
        ax.set_ylim(bottom=0, top=max([seats, *(p.active_users_30d for p in ordered)], default=1) * 1.15 + 1)
        ax.set_ylabel("users")
        ax.set_xlabel("week ending")
        ax.set_title(f"{title} · {money(price_per_seat, currency)} per seat per year", loc="left", fontsize=10)
        _date_axis(fig, ax)
        return _svg(fig, title)


def timeline_chart(
    as_of: date,
    triggers: Sequence[Trigger],
    phases: Sequence[CalendarPhase],
    renewal_date: date,
    currency: str,
    proposed_value: float,
) -> str:
    """Triggers (past) and the expansion calendar's phases (ahead) on one date axis, with the renewal."""
    title = "Triggers and the 90-day expansion calendar"
    dated = [t for t in triggers if t.date is not None]
    with _lock, rc_context(_STYLE):
        fig = _figure(1.4 + 0.28 * (len(dated) + len(phases)), 1.7, 0.8)
        ax = fig.add_subplot()
        labels: list[str] = []
        for row, t in enumerate(dated):
            assert t.date is not None
            ax.plot([_day(t.date)], [row], marker="D", color=EARNED, ms=6)
            labels.append(t.id.replace("_", " "))
        for k, phase in enumerate(phases):
            row = len(dated) + k
            ax.barh(row, (phase.end - phase.start).days + 1, left=_day(phase.start), color=PHASE, height=0.5)
            labels.append(f"days {phase.days}")
        ax.axvline(_day(as_of), color=INK, linewidth=1, label=f"as of {as_of.isoformat()}")
        ax.axvline(
            _day(renewal_date),
            color=SEATS,
            linestyle="dashed",
            linewidth=1,
            label=f"renewal {renewal_date.isoformat()}",
        )
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("date")
        span = [as_of, renewal_date, *(t.date for t in dated if t.date), *(p.end for p in phases)]
        ax.set_xlim(_day(min(span) - timedelta(days=7)), _day(max(span) + timedelta(days=7)))
        ax.set_title(f"{title} · proposed {money(proposed_value, currency)} a year", loc="left", fontsize=10)
        _date_axis(fig, ax)
        return _svg(fig, title)


def value_chart(current_arr: float, proposed_value: float, currency: str) -> str:
    """Current ARR and the proposed expansion stacked: the total the proposal asks for."""
    title = f"Annual recurring revenue ({currency})"
    with _lock, rc_context(_STYLE):
        fig = _figure(1.5, 0.8, 0.45)
        ax = fig.add_subplot()
        ax.barh(["current"], [current_arr], color=POSSIBLE)
        ax.barh(["proposed"], [current_arr], color=POSSIBLE)
        ax.barh(["proposed"], [proposed_value], left=[current_arr], color=EARNED)
        total = current_arr + proposed_value
        ax.text(total, 1, f"  {money(total, currency)}", va="center", fontsize=8)
        ax.text(current_arr, 0, f"  {money(current_arr, currency)}", va="center", fontsize=8)
        ax.set_xlim(0, max(total, 1) * 1.35)
        ax.set_xlabel(f"{currency} per year")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.invert_yaxis()
        ax.set_title(f"{title}: +{money(proposed_value, currency)} a year", loc="left", fontsize=10)
        return _svg(fig, title)


def pipeline_chart(values: Sequence[tuple[str, dict[str, float]]], as_of: date) -> str:
    """Proposed expansion value of the actionable accounts per tier, one bar group per currency
    (`values`: (tier, {currency: value}) in tier order; pass one base currency when it covers all)."""
    currencies = sorted({c for _, amounts in values for c in amounts})
    unit = currencies[0] if len(currencies) == 1 else "per currency"
    title = f"Pipeline value by tier ({unit}), as of {as_of.isoformat()}"
    with _lock, rc_context(_STYLE):
        fig = _figure(2.8, 1.0, 0.7)
        ax = fig.add_subplot()
        width = 0.8 / max(1, len(currencies))
        top = max([v for _, amounts in values for v in amounts.values()], default=0.0)
        for k, currency in enumerate(currencies):
            xs = [x + (k - (len(currencies) - 1) / 2) * width for x in range(len(values))]
            heights = [amounts.get(currency, 0.0) for _, amounts in values]
            colour = (EARNED, SEATS, PHASE, POSSIBLE)[k % 4]
            ax.bar(xs, heights, width=width * 0.9, color=colour, label=currency)
            for x, h in zip(xs, heights, strict=True):
                if h:
                    ax.text(x, h, f" {money(h, currency)}", ha="center", va="bottom", rotation=90, fontsize=7)
        ax.set_xticks(range(len(values)), [tier.replace("_", " ") for tier, _ in values])
        ax.set_ylim(0, max(top, 1.0) * 1.7)  # room for the value written above each bar
        ax.set_xlabel("readiness tier (actionable accounts: gate passed, no blocker)")
        ax.set_ylabel(f"value a year ({unit})")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        if len(currencies) > 1:
            ax.legend(loc="upper right", ncols=len(currencies), fontsize=8)  # currencies: one colour each
        ax.set_title(title, loc="left", fontsize=10)
        return _svg(fig, title)


def backtest_lift_svg(report: BacktestReport) -> str:
    """The backtest lift chart of `server.charts_backtest` as an inline SVG string (its text as paths)."""
    from server.charts_backtest import lift_chart

    with _lock, tempfile.TemporaryDirectory() as folder:
        path = lift_chart(report, Path(folder) / "lift.svg")
        svg = _SVG_START.sub("", path.read_text(encoding="utf-8"), count=1)
    svg = _SIZE.sub(r'<svg\1 role="img" class="chart"', svg, count=1)
    return svg.replace("<svg", f'<svg aria-label="{_attr("Backtest lift by tier and by signal")}"', 1)
