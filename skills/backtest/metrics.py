"""The figures of a backtest (SPEC §5): ratios that are null on an empty denominator, Wilson
intervals, and ROC AUC by Mann–Whitney with ties counted ½."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator; None (JSON null) when the denominator is 0."""
    return numerator / denominator if denominator else None


def wilson_interval(positives: int, n: int, z: float = Z_95) -> tuple[float | None, float | None]:
    """Wilson score interval of a rate positives / n; (None, None) when n is 0."""
    if n == 0:
        return None, None
    p = positives / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (centre - spread) / (1 + z2 / n), (centre + spread) / (1 + z2 / n)


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """P(score of a random positive > score of a random negative), ties ½; None without both classes.

    Mann–Whitney U from mid-ranks: AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋).
    """
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1  # ranks are 1-based; tied scores share the mean rank
        rank_sum += mid_rank * sum(1 for k in order[i : j + 1] if labels[k])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
