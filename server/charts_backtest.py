"""The backtest lift chart (SPEC §5): lift per tier (with its Wilson interval) and per signal, as SVG or PNG.

matplotlib runs offline with the Agg backend; the SVG carries no date and fixed ids, so the same
report gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from skills.backtest.report import BacktestReport

FORMATS = (".svg", ".png")


def lift_chart(report: BacktestReport, path: Path, title: str = "Expansion readiness backtest") -> Path:
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--chart {path}: use a .svg or .png file name")
    base = report.base_rate
    plt.rcParams["svg.hashsalt"] = "expansion-desk-backtest"
    fig, (tiers_ax, signals_ax) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1, 2]})
    tiers = [t for t in report.tiers]
    lifts = [t.lift or 0.0 for t in tiers]
    low = [max(0.0, (t.lift or 0.0) - (t.rate_low or 0.0) / base) if base else 0.0 for t in tiers]
    high = [max(0.0, (t.rate_high or 0.0) / base - (t.lift or 0.0)) if base else 0.0 for t in tiers]
    tiers_ax.bar([t.tier for t in tiers], lifts, yerr=[low, high], capsize=4, color="#3b6ea5")
    for x, t in enumerate(tiers):
        tiers_ax.annotate(f"n={t.n}", (x, 0), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    tiers_ax.set_title("Lift by tier (95% Wilson interval)")
    signals = sorted(report.signals, key=lambda s: -(s.lift or 0.0))
    colors = ["#3b6ea5" if s.point_in_time else "#b0b0b0" for s in signals]
    signals_ax.barh([s.id for s in signals][::-1], [s.lift or 0.0 for s in signals][::-1], color=colors[::-1])
    for y, s in enumerate(signals[::-1]):
        label = "never met" if s.lift is None else f"{s.lift:.1f}× (n={s.n_met})"
        signals_ax.annotate(label, (s.lift or 0.0, y), textcoords="offset points", xytext=(3, -3), fontsize=8)
    signals_ax.set_title("Lift by signal (grey: reads account fields with no history)")
    for ax in (tiers_ax, signals_ax):
        line = ax.axhline if ax is tiers_ax else ax.axvline
        line(1.0, color="#c0392b", linestyle="--", linewidth=1)
    tiers_ax.set_ylabel("conversion rate / base rate")
    auc = "n/a" if report.auc is None else f"{report.auc:.2f}"
    rate = "n/a" if base is None else f"{base:.1%}"
    fig.suptitle(
        f"{title}: {report.observations} observations at {len(report.points)} points, "
        f"base rate {rate}, AUC {auc}, horizon {report.horizon_days} days"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Date": None} if path.suffix.lower() == ".svg" else None, dpi=110)
    plt.close(fig)
    return path
