"""Weights that fit a team's data: an L2-regularised logistic regression of the label on the nine
signals, scaled to the default total, compared with the current weights on later (held-out) points.

Suggested weights are printed for a person to paste into the settings; nothing applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
from pydantic import computed_field

from skills.backtest.metrics import roc_auc
from skills.backtest.observations import Observation, rescore
from skills.evidence import Result
from skills.playbook.readiness_score import SIGNAL_RULES, SignalId
from skills.rules import ReadinessWeights

SIGNALS: tuple[SignalId, ...] = tuple(SIGNAL_RULES)
HELD_OUT_SHARE = 1 / 3


class WeightFit(Result):
    current: ReadinessWeights
    suggested: ReadinessWeights
    coefficients: dict[SignalId, float]
    """Log-odds per signal from the regression (negative ones get 0 points)."""
    train_points: tuple[date, ...]
    held_out_points: tuple[date, ...]
    train_observations: int
    held_out_observations: int
    auc_current: float | None
    """AUC of the current weights on the held-out points."""
    auc_suggested: float | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def toml(self) -> str:
        """The block to paste into expansion-desk.toml."""
        lines = ["[rules.weights]", *(f"{s} = {getattr(self.suggested, s)}" for s in SIGNALS)]
        return "\n".join(lines) + "\n"


def time_split(points: Sequence[date]) -> tuple[list[date], list[date]]:
    """Earlier points to fit on, the later third (at least one) held out; needs two points or more."""
    ordered = sorted(set(points))
    if len(ordered) < 2:
        raise ValueError("suggesting weights needs at least two backtest points (earlier to fit, later to test)")
    held = max(1, round(len(ordered) * HELD_OUT_SHARE))
    return ordered[:-held], ordered[-held:]


def _design(observations: Sequence[Observation]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[1.0 if s in o.met else 0.0 for s in SIGNALS] for o in observations]).reshape(-1, len(SIGNALS))
    y = np.array([1.0 if o.label else 0.0 for o in observations])
    return x, y


def logistic_coefficients(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Newton–Raphson for the L2-penalised log-likelihood (intercept not penalised); returns the slopes.

    A signal never met in the data gets exactly 0 (its column is zero, the penalty pulls it there).
    """
    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    beta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p) - penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return beta[1:]


def scaled_weights(coefficients: Sequence[float], total: int) -> ReadinessWeights:
    """Non-negative coefficients scaled to integers summing to `total` (largest remainder rounding)."""
    positive = [max(0.0, c) for c in coefficients]
    mass = sum(positive)
    if mass == 0:
        raise ValueError("no signal is associated with later expansions in this data: no weights to suggest")
    exact = [total * c / mass for c in positive]
    whole = [int(e) for e in exact]
    for i in sorted(range(len(exact)), key=lambda i: (whole[i] - exact[i], i))[: total - sum(whole)]:
        whole[i] += 1
    return ReadinessWeights(**dict(zip(SIGNALS, whole, strict=True)))


def suggest_weights(observations: Sequence[Observation], current: ReadinessWeights, l2: float = 1.0) -> WeightFit:
    train_points, held_points = time_split([o.at for o in observations])
    train = [o for o in observations if o.at in set(train_points)]
    held = [o for o in observations if o.at in set(held_points)]
    x, y = _design(train)
    if not 0 < y.sum() < len(y):
        raise ValueError("the earlier points need both won and not-won observations to fit weights")
    coefficients = logistic_coefficients(x, y, l2)
    total = sum(getattr(current, s) for s in SIGNALS)
    suggested = scaled_weights([float(c) for c in coefficients], total)
    labels = [o.label for o in held]
    return WeightFit(
        current=current,
        suggested=suggested,
        coefficients={s: round(float(c), 4) for s, c in zip(SIGNALS, coefficients, strict=True)},
        train_points=tuple(train_points),
        held_out_points=tuple(held_points),
        train_observations=len(train),
        held_out_observations=len(held),
        auc_current=roc_auc([rescore(o, current) for o in held], labels),
        auc_suggested=roc_auc([rescore(o, suggested) for o in held], labels),
    )
