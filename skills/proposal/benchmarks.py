"""Segment benchmarks (seed 000): where an account sits among peers of its segment."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from skills.evidence import Result
from skills.rules import Rules

Metric = Literal["utilisation", "active_user_ratio", "workflow_completions_90d"]
METRICS: tuple[Metric, ...] = ("utilisation", "active_user_ratio", "workflow_completions_90d")


class PeerMetrics(Result):
    account_id: str
    segment: str
    utilisation: float | None
    active_user_ratio: float | None
    workflow_completions_90d: int | None


class BenchmarkLine(Result):
    metric: Metric
    value: float
    percentile: float
    label: Literal["top quartile", "above median", "below median"]
    peers: int


class SegmentPeers(Result):
    """Sorted values of each metric per segment; built once per book, read per account."""

    values: dict[str, dict[Metric, tuple[float, ...]]]


def segment_peers(peers: Iterable[PeerMetrics]) -> SegmentPeers:
    values: dict[str, dict[Metric, list[float]]] = defaultdict(lambda: defaultdict(list))
    for p in peers:
        for metric in METRICS:
            v = getattr(p, metric)
            if v is not None:
                values[p.segment][metric].append(float(v))
    return SegmentPeers(values={s: {m: tuple(sorted(v)) for m, v in per.items()} for s, per in values.items()})


def percentile_rank(value: float, sorted_values: tuple[float, ...]) -> float:
    """Mid-rank percentile: share of peers below, plus half of those equal."""
    below = bisect_left(sorted_values, value)
    equal = bisect_right(sorted_values, value) - below
    return round(100 * (below + 0.5 * equal) / len(sorted_values), 1)


def benchmarks(me: PeerMetrics, peers: SegmentPeers, rules: Rules) -> tuple[BenchmarkLine, ...]:
    lines = []
    for metric in METRICS:
        value, values = getattr(me, metric), peers.values.get(me.segment, {}).get(metric, ())
        if value is None or len(values) < rules.value.benchmark_min_peers:
            continue
        p = percentile_rank(float(value), values)
        label: Literal["top quartile", "above median", "below median"] = (
            "top quartile"
            if p >= rules.value.top_quartile_percentile
            else "above median"
            if p >= rules.value.above_median_percentile
            else "below median"
        )
        lines.append(BenchmarkLine(metric=metric, value=float(value), percentile=p, label=label, peers=len(values)))
    return tuple(lines)
